import type {Report} from './types.js'

/** The first `limit` rows; all of them when `limit` is undefined. */
export const limitRows = <Row>(rows: Row[], limit: number | undefined): Row[] => (limit === undefined ? rows : rows.slice(0, limit))

/** The report with at most `limit` rows (the population statistics have none to limit). */
export const limitReport = <R extends Report>(report: R, limit: number | undefined): R =>
  'rows' in report ? ({...report, rows: limitRows<unknown>(report.rows, limit)} as R) : report
