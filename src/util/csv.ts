import {sanitize} from './sanitize.js'

/** A cell a spreadsheet would run as a formula (OWASP's list, as papaparse's escapeFormulae). */
const FORMULA = /^[=+\-@\t\r]/
/** What makes a cell need quotes: the delimiter, a quote, a line break, a byte-order mark. */
const SPECIAL = /[,"\r\n\ufeff]/

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value !== 'string') return String(value)
  let text = sanitize(value)
  let quote = false
  if (FORMULA.test(text)) {
    text = `'${text}`
    quote = true
  }
  if (text.includes('"')) text = text.replaceAll('"', '""')
  return quote || SPECIAL.test(text) || text.startsWith(' ') || text.endsWith(' ') ? `"${text}"` : text
}

/**
 * CSV text: a header line, then one line per row, `\n` between lines; nulls empty; text cleaned of
 * control characters and guarded against spreadsheet formulae (prefixed with `'`, quoted). The
 * same text as papaparse's `unparse` with `escapeFormulae` (test/csv.test.ts holds it to that),
 * written here because it takes a fraction of its time: its cold start over 28,200 rows was most
 * of the CSV report's cost (docs/benchmarks.md).
 */
export function csvText(headers: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const lines = [headers.map(cell).join(',')]
  for (const row of rows) lines.push(row.map(cell).join(','))
  return lines.join('\n')
}
