import type {Cell, QueryResult, Schema} from '../query/index.js'
import {limitRows} from '../reports/limit.js'
import {field, type ReportFormat, renderView} from './reports.js'

export interface QueryRenderOptions {
  color?: boolean
  /** At most this many rows (undefined: all). */
  limit?: number
}

/** A cell as text: decimals with their scale (`2.600`), lists and structs as JSON, NULL as empty. */
function cellText(value: Cell, type: string): string {
  if (value === null) return ''
  const scale = /^decimal\(\d+,(\d+)\)$/.exec(type)?.[1]
  if (typeof value === 'number' && scale !== undefined) return value.toFixed(Number(scale))
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

const isNumeric = (type: string): boolean => /^(tinyint|smallint|integer|bigint|hugeint|u\w*int|float|double|decimal)/.test(type)

/** A row as an object (JSON): the last of repeated names wins, as in DuckDB's own JSON output. */
export const rowObject = (columns: QueryResult['columns'], row: Cell[]): Record<string, Cell> =>
  Object.fromEntries(columns.map((column, i) => [column.name, row[i]!]))

/** A query's result in a report format: a bare table (no title), JSON lines (one row each), CSV or markdown. */
export function renderQueryResult(result: Pick<QueryResult, 'columns' | 'rows'>, format: ReportFormat, options: QueryRenderOptions = {}): Promise<string> {
  const rows = limitRows(result.rows, options.limit)
  const fields = result.columns.map(({name, type}, i) =>
    field<Cell[]>(name, (row) => (typeof row[i] === 'number' ? row[i] : row[i] === null ? null : cellText(row[i]!, type)), {
      text: (row) => cellText(row[i]!, type),
      align: isNumeric(type) ? (type.startsWith('decimal') || type === 'double' || type === 'float' ? 'decimal' : 'right') : undefined,
    }),
  )
  return renderView(
    {fields, rows, json: rows.map((row) => rowObject(result.columns, row)), omitted: result.rows.length - rows.length},
    format,
    options.color ?? false,
  )
}

/** `--schema`: one row per view or table: its name, kind, columns with their types, and the files it reads. */
export function renderSchema(schema: Schema, format: ReportFormat, options: QueryRenderOptions = {}): Promise<string> {
  const rows = schema.relations.map((relation) => [
    relation.name,
    relation.kind,
    relation.columns.map((column) => `${column.name} ${column.type}`).join(', '),
    relation.files.join(' '),
  ])
  const columns = ['name', 'kind', 'columns', 'files'].map((name) => ({name, type: 'varchar'}))
  return renderQueryResult({columns, rows}, format, options)
}
