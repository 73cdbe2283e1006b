import {writeAscii} from './ascii.js'
import {sanitize} from './sanitize.js'

type Cell = string | number | null | undefined

/** A cell a spreadsheet would run as a formula (OWASP's list, as papaparse's escapeFormulae). */
const FORMULA = /^[=+\-@\t\r]/
/** What makes a cell need quotes: the delimiter, a quote, a line break, a byte-order mark. */
const SPECIAL = /[,"\r\n\ufeff]/
/**
 * Anything `cell` would change in a text: a control or bidi character (sanitize's), a character
 * that needs quotes, a formula's first character, a space at either end. One test, so a text that
 * needs nothing (nearly all) costs one regular-expression call.
 */
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069,"\ufeff]|^[=+\-@ ]| $/

function cell(value: Cell): string {
  if (value === null || value === undefined) return ''
  if (typeof value !== 'string') return String(value)
  if (!NEEDS_WORK.test(value)) return value
  let text = sanitize(value)
  let quote = false
  if (FORMULA.test(text)) {
    text = `'${text}`
    quote = true
  }
  if (text.includes('"')) text = text.replaceAll('"', '""')
  return quote || SPECIAL.test(text) || text.startsWith(' ') || text.endsWith(' ') ? `"${text}"` : text
}

/** The header's cells, then each column's: a column at a time (one function on one kind of value stays fast while it warms up). */
const cellsOf = (headers: readonly string[], columns: readonly (readonly Cell[])[]): string[][] => [headers, ...columns].map((values) => values.map(cell))

/** The lines of the cells (`cellsOf`'s), `\n` between them. */
function joinLines([header, ...columns]: readonly string[][]): string {
  const rows = Math.max(0, ...columns.map((column) => column.length))
  const lines = [header!.join(',')]
  for (let r = 0; r < rows; r++) {
    let line = columns[0]![r]!
    for (let c = 1; c < columns.length; c++) line += `,${columns[c]![r]}`
    lines.push(line)
  }
  return lines.join('\n')
}

/**
 * CSV text of a table given by columns: a header line, then one line per row, `\n` between lines;
 * nulls empty; text cleaned of control characters and guarded against spreadsheet formulae
 * (prefixed with `'`, quoted). The same text as papaparse's `unparse` with `escapeFormulae`
 * (test/csv.test.ts holds it to that), written here because it takes a fraction of its time: its
 * cold start over 28,200 rows was most of the CSV report's cost (docs/benchmarks.md).
 */
export const csvColumns = (headers: readonly string[], columns: readonly (readonly Cell[])[]): string => joinLines(cellsOf(headers, columns))

const COMMA = 44
const LF = 10

/**
 * csvColumns as UTF-8 bytes, with a final line end: each cell written where it goes (a string of
 * 28,200 lines made of cells, then encoded, cost several times as much in concatenation and
 * garbage). Text beyond ASCII, rare, is joined as text and encoded.
 */
export function csvColumnsBytes(headers: readonly string[], columns: readonly (readonly Cell[])[]): Buffer {
  const cells = cellsOf(headers, columns)
  const rows = Math.max(0, ...columns.map((column) => column.length))
  let size = 0
  // Indexed: `for of` makes an iterator result per cell until the code is optimized (fresh memory: docs/benchmarks.md).
  for (let c = 0; c < cells.length; c++) for (let r = 0; r < cells[c]!.length; r++) size += cells[c]![r]!.length + 1
  const bytes = Buffer.allocUnsafe(size)
  let at = 0
  for (let r = -1; r < rows; r++) {
    for (let c = 0; c < columns.length; c++) {
      const text = r < 0 ? cells[0]![c]! : cells[c + 1]![r]!
      at = writeAscii(bytes, text, at)
      if (at === -1) return Buffer.from(`${joinLines(cells)}\n`)
      bytes[at++] = c === columns.length - 1 ? LF : COMMA
    }
  }
  return bytes
}

/** csvColumns of a table given by rows. */
export const csvText = (headers: readonly string[], rows: readonly (readonly Cell[])[]): string =>
  csvColumns(headers, headers.map((_, c) => rows.map((row) => row[c])))
