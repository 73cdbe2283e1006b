import {sanitize} from '../util/sanitize.js'

/** `decimal`: numbers right-aligned on their decimal point (`7`, `16.4` and `-1.65` line up on the point). */
export type Align = 'left' | 'right' | 'decimal'

export interface Column<Row> {
  header: string
  value: (row: Row) => string
  align?: Align
}

/** Cells of a decimal column split at the point: the whole part right-aligned, the fraction left. */
function decimalAligner(cells: readonly string[]): (text: string) => string {
  let whole = 0
  let fraction = 0
  // Loops, not Math.max(...cells): spreading 125,000+ arguments overflows the call stack.
  for (const cell of cells) {
    const point = cell.indexOf('.')
    whole = Math.max(whole, point < 0 ? cell.length : point)
    fraction = Math.max(fraction, point < 0 ? 0 : cell.length - point)
  }
  return (text) => {
    const point = text.indexOf('.')
    const wholePart = point < 0 ? text : text.slice(0, point)
    return wholePart.padStart(whole) + (point < 0 ? '' : text.slice(point)).padEnd(fraction)
  }
}

/**
 * Aligned plain-text columns; cell text is sanitised; `style` decorates the header row (colour).
 * Any number of rows: no argument spreading or recursion over rows.
 */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], style: (header: string) => string = (h) => h): string {
  const cells = columns.map((column) => rows.map((row) => sanitize(column.value(row))))
  const aligned = cells.map((column, i) => (columns[i]!.align === 'decimal' ? column.map(decimalAligner(column)) : column))
  const widths = aligned.map((column, i) => column.reduce((width, cell) => Math.max(width, cell.length), columns[i]!.header.length))
  const pad = (text: string, i: number): string => (columns[i]!.align === 'left' || columns[i]!.align === undefined ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))
  const header = columns.map((column, i) => style(pad(column.header, i))).join('  ')
  const lines = rows.map((_, r) => aligned.map((column, i) => pad(column[r]!, i)).join('  ').trimEnd())
  return [header.trimEnd(), ...lines].join('\n')
}
