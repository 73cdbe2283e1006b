import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {bucket, endpoint, processed} from '../cli/flags.js'
import {useColor} from '../render/progress.js'
import {REPORT_FORMATS, renderReports} from '../render/reports.js'
import {loadReports, type Report, REPORT_CHOICES, type ReportChoice, REPORT_NAMES} from '../reports/index.js'

export default class ReportCommand extends BaseCommand {
  static override summary = 'Print the reports from the processed store.'
  static override description =
    'Each report opens with a headline (mean and standard deviation; how many series, and the share scored on the annual basis; the series and its years). Colour only on a terminal, never with NO_COLOR; text from the data is printed without control characters.'

  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report --only best-year --limit 10',
    '<%= config.bin %> report --bucket my-bucket --format csv --only series',
  ]

  static override flags = {
    processed,
    bucket,
    endpoint,
    format: Flags.string({description: 'output format', options: [...REPORT_FORMATS], default: 'table'}),
    only: Flags.string({description: 'print one report', options: Object.keys(REPORT_CHOICES)}),
    limit: Flags.integer({description: 'at most N rows of the best-year and series tables', min: 1, helpValue: 'N'}),
  }

  async run(): Promise<{reports: Report[]}> {
    const {flags} = await this.parse(ReportCommand)
    const store = this.store(this.locations(flags).processed, flags)
    const names = flags.only ? [REPORT_CHOICES[flags.only as ReportChoice]] : REPORT_NAMES
    let reports: Report[]
    try {
      reports = await loadReports(store, names)
    } catch (error) {
      this.error((error as Error).message, {exit: 1})
    }
    const format = flags.format as (typeof REPORT_FORMATS)[number]
    this.log(renderReports(reports, format, {color: useColor(process.stdout, process.env), limit: flags.limit}))
    return {reports}
  }
}
