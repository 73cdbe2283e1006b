import {stripVTControlCharacters} from 'node:util'

export type Align = 'left' | 'right'

export interface Column<Row> {
  header: string
  value: (row: Row) => string
  align?: Align
}

/**
 * Remove control characters (escape sequences, C0/C1 controls) from text that came from data,
 * so a crafted file cannot drive the terminal.
 */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
}

/** Aligned plain-text columns; cell text is sanitised; `style` decorates the header row (colour). */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], style: (header: string) => string = (h) => h): string {
  const cells = rows.map((row) => columns.map((column) => sanitize(column.value(row))))
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((r) => r[i]!.length)))
  const pad = (text: string, i: number): string =>
    columns[i]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!)
  const header = columns.map((column, i) => style(pad(column.header, i))).join('  ')
  const lines = cells.map((r) => r.map((cell, i) => pad(cell, i)).join('  ').trimEnd())
  return [header.trimEnd(), ...lines].join('\n')
}
