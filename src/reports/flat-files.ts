import {csvColumnsBytes} from '../util/csv.js'
import type {Report, ReportName} from './types.js'

/**
 * Decimal places of a BLS `value` (transform/decimal.ts DECIMALS: the transform's sums are exact
 * at this scale), so Parquet stores it as DECIMAL(18, 3): exact, and every reader states the scale.
 */
export const VALUE_SCALE = 3

/** Column types of the flat files (Parquet's; CSV is text). */
export type FlatType = 'string' | 'int32' | 'int64' | 'double' | 'decimal'

type FlatValue = string | number | null

export interface FlatColumn {
  name: string
  type: FlatType
  values: FlatValue[]
}

/** A report as one table: the rows of its JSON (population_stats: one row of its result). */
export interface FlatTable {
  report: ReportName
  columns: FlatColumn[]
  rows: number
}

/** A column: its name, its type and its value in a row. */
type Spec<Row> = [name: string, type: FlatType, value: (row: Row) => FlatValue]

const table = <Row>(report: ReportName, rows: readonly Row[], specs: Spec<Row>[]): FlatTable => ({
  report,
  rows: rows.length,
  columns: specs.map(([name, type, value]) => ({name, type, values: rows.map(value)})),
})

// The columns both row reports share.
const SERIES_ID: Spec<{series_id: string}> = ['series_id', 'string', (row) => row.series_id]
const YEAR: Spec<{year: number}> = ['year', 'int32', (row) => row.year]
const VALUE: Spec<{value: number}> = ['value', 'decimal', (row) => row.value]

/** The report's rows with typed columns, named as in its JSON (snake_case where the JSON is camelCase). */
export function flatTable(report: Report): FlatTable {
  switch (report.report) {
    case 'population_stats':
      return table(report.report, [{...report.parameters, ...report.result}], [
        ['from_year', 'int32', (row) => row.fromYear],
        ['to_year', 'int32', (row) => row.toYear],
        ['count', 'int32', (row) => row.count],
        ['mean', 'double', (row) => row.mean],
        ['stddev', 'double', (row) => row.stddev],
        ['stddev_population', 'double', (row) => row.stddevPopulation],
        // Space-separated, as `report --format csv` gives them: one cell in every reader.
        ['years', 'string', (row) => row.years.join(' ')],
        ['missing_years', 'string', (row) => row.missingYears.join(' ')],
      ])
    case 'best_year_by_series':
      return table(report.report, report.rows, [
        SERIES_ID,
        YEAR,
        VALUE,
        ['basis', 'string', (row) => row.basis],
        // Always present (null without the lookup files): the schema does not depend on the raw store.
        ['title', 'string', (row) => row.title ?? null],
      ])
    case 'series_population':
      return table(report.report, report.rows, [SERIES_ID, YEAR, ['period', 'string', (row) => row.period], VALUE, ['population', 'int64', (row) => row.population]])
  }
}

/**
 * The table as CSV: a header, `\n` line ends, nulls empty; text cleaned of control characters and
 * guarded against spreadsheet formulae (as `report --format csv`).
 */
export function flatCsv(table: FlatTable): Buffer {
  return csvColumnsBytes(table.columns.map((c) => c.name), table.columns.map((c) => c.values))
}
