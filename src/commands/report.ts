import {writeFile} from 'node:fs/promises'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {endpoint, jsonFlag, processed, processedBucket, profile, region} from '../cli/flags.js'
import {joinedYearsOnly, reportFlags, reportFlagsProblem, reportFormat, rowLimit, selectedReports} from '../cli/report-flags.js'
import {useColor} from '../render/progress.js'
import {REPORT_FORMATS, renderReports} from '../render/reports.js'
import {limitReport, loadReports, REPORT_CHOICES, type Report as ReportData} from '../reports/index.js'

/** Formats of `report` alone (run prints to the terminal only): the page, and Parquet for one report. */
const FILE_FORMATS = ['html', 'parquet'] as const

export default class Report extends BaseCommand {
  static override summary = 'Print the reports from the processed store.'
  static override description =
    'Each report opens with a headline (mean and standard deviation; how many series, and the share scored on the annual basis; the series, a sparkline of its values, and its years). On a terminal a table shows the first rows of the best-year report and the series report\'s years that have a population, and how many more there are (--limit 0 shows all); piped or redirected output is complete. --json prints one object, {reports: […]}; --format json prints one line per report (JSON lines, as consume does); both honour --only and --limit. --format html is the page transform writes as report.html (charts and tables, self-contained); --format parquet writes one report (--only) as Parquet, to --output or a pipe. Colour only on a terminal, never with NO_COLOR; text from the data is printed without control characters.'

  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report --only best-year --limit 10',
    '<%= config.bin %> report --limit 0 | less',
    '<%= config.bin %> report --bucket my-bucket --format csv --only series > series.csv',
    '<%= config.bin %> report --format html --output report.html',
    '<%= config.bin %> report --format parquet --only best-year --output best_year_by_series.parquet',
  ]

  static override flags = {
    processed,
    bucket: processedBucket,
    endpoint,
    region,
    profile,
    ...reportFlags,
    format: Flags.string({
      description: `${reportFlags.format.description}; html: the page of charts and tables; parquet: one report (--only) as a Parquet file`,
      options: [...REPORT_FORMATS, ...FILE_FORMATS],
      default: 'table',
    }),
    output: Flags.string({char: 'o', description: 'write the output to FILE instead of stdout (replaced if it exists)', helpValue: 'FILE'}),
    json: jsonFlag('the reports ({"reports": [...]}, each as its file holds it)'),
  }

  async run(): Promise<{reports: ReportData[]}> {
    const {flags} = await this.parse(Report)
    const json = this.jsonEnabled()
    const problem = json ? undefined : this.problem(flags)
    if (problem) this.usageError(problem)
    const store = this.store(this.locations(flags).processed, flags)
    let reports: ReportData[]
    try {
      reports = await loadReports(store, selectedReports(flags.only))
    } catch (error) {
      this.fail(error)
    }
    // A file is complete unless --limit says otherwise, as piped output is.
    const stdout = flags.output ? {isTTY: false} : process.stdout
    const limit = rowLimit({limit: flags.limit, format: json ? 'json' : flags.format}, stdout)
    const color = !flags.output && useColor(process.stdout, process.env)
    if (!json) await this.print(await this.render(reports, flags.format, {color, limit, joinedYears: joinedYearsOnly(flags, stdout)}), flags.output)
    return {reports: reports.map((report) => limitReport(report, limit))}
  }

  /** Why these flags cannot print, or undefined. */
  private problem(flags: {format: string; only?: string; output?: string}): string | undefined {
    if (flags.format !== 'parquet') return reportFlagsProblem(flags)
    if (!flags.only) return `--format parquet writes one report: add --only ${Object.keys(REPORT_CHOICES).join(', --only ')}`
    if (!flags.output && process.stdout.isTTY) return '--format parquet is binary: add --output FILE (or redirect stdout to a file)'
    return undefined
  }

  private async render(reports: ReportData[], format: string, options: {color: boolean; limit?: number; joinedYears: boolean}): Promise<string | Uint8Array> {
    const limited = reports.map((report) => limitReport(report, options.limit))
    switch (format) {
      case 'html': {
        const {renderHtml} = await import('../reports/html.js')
        return renderHtml(limited, {allRows: true})
      }
      case 'parquet': {
        const [{flatTable}, {flatParquet}] = await Promise.all([import('../reports/flat-files.js'), import('../reports/parquet.js')])
        return flatParquet(flatTable(limited[0]!))
      }
      default:
        return `${await renderReports(reports, reportFormat(format), options)}\n`
    }
  }

  private async print(output: string | Uint8Array, file: string | undefined): Promise<void> {
    if (!file) {
      process.stdout.write(output)
      return
    }
    try {
      await writeFile(file, output)
    } catch (error) {
      this.fail(`cannot write ${file}: ${(error as Error).message}`)
    }
  }
}
