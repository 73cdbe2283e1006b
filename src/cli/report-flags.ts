import {Flags} from '@oclif/core'

import {REPORT_FORMATS, type ReportFormat} from '../render/reports.js'
import {REPORT_CHOICES, type ReportChoice, REPORT_NAMES, type ReportName} from '../reports/index.js'

/** Flags of `dataquest report`, shared with `dataquest run`. */
export const reportFlags = {
  format: Flags.string({description: 'output format', options: [...REPORT_FORMATS], default: 'table'}),
  only: Flags.string({description: 'print one report', options: Object.keys(REPORT_CHOICES)}),
  limit: Flags.integer({description: 'at most N rows of the best-year and series tables', min: 1, helpValue: 'N'}),
}

/** The reports `--only` selects (all by default), in print order. */
export const selectedReports = (only: string | undefined): readonly ReportName[] =>
  only ? [REPORT_CHOICES[only as ReportChoice]] : REPORT_NAMES

export const reportFormat = (format: string): ReportFormat => format as ReportFormat
