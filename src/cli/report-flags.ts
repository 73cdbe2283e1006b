import {Flags} from '@oclif/core'

import {REPORT_FORMATS, type ReportFormat} from '../render/reports.js'
import {REPORT_CHOICES, type ReportChoice, REPORT_NAMES, type ReportName} from '../reports/index.js'

/** Rows of a table printed to a terminal unless --limit says otherwise; piped output stays complete. */
export const TERMINAL_ROWS = 20

/** Flags of `dataquest report`, shared with `dataquest run`. */
export const reportFlags = {
  format: Flags.string({
    description: 'output format; json: one line per report (JSON lines), where --json prints one object {reports: […]}; csv needs --only',
    options: [...REPORT_FORMATS],
    default: 'table',
  }),
  only: Flags.string({description: 'print one report', options: Object.keys(REPORT_CHOICES)}),
  limit: Flags.integer({
    description: `at most N rows of the best-year and series reports, in every format and with --json; 0 for all [default: all, or ${TERMINAL_ROWS} in a table on a terminal]`,
    min: 0,
    helpValue: 'N',
  }),
}

/** The reports `--only` selects (all by default), in print order. */
export const selectedReports = (only: string | undefined): readonly ReportName[] =>
  only ? [REPORT_CHOICES[only as ReportChoice]] : REPORT_NAMES

export const reportFormat = (format: string): ReportFormat => format as ReportFormat

/**
 * Why these flags cannot print, or undefined: CSV is one header and its rows, so three reports
 * would be three headerless-looking blocks in one file.
 */
export function reportFlagsProblem({format, only}: {format: string; only?: string}): string | undefined {
  if (format !== 'csv' || only) return undefined
  return `--format csv prints one report: add --only ${Object.keys(REPORT_CHOICES).join(', --only ')}`
}

/**
 * The row limit to print with: --limit (0 for all), else the first TERMINAL_ROWS of a table
 * whose output is a terminal (a footer says how many more and how to see them), else all.
 */
/**
 * A table on a terminal without --limit shows the series report's joined years (those with a
 * population: what the report is for) rather than its first rows.
 */
export const joinedYearsOnly = ({limit, format}: {limit?: number; format: string}, stdout: {isTTY?: boolean}): boolean =>
  limit === undefined && format === 'table' && Boolean(stdout.isTTY)

export function rowLimit({limit, format}: {limit?: number; format: string}, stdout: {isTTY?: boolean}): number | undefined {
  if (limit !== undefined) return limit === 0 ? undefined : limit
  return format === 'table' && stdout.isTTY ? TERMINAL_ROWS : undefined
}
