import {BaseCommand} from '../cli/base-command.js'
import {endpoint, jsonFlag, processed, processedBucket, region} from '../cli/flags.js'
import {reportFlags, reportFlagsProblem, reportFormat, rowLimit, selectedReports} from '../cli/report-flags.js'
import {useColor} from '../render/progress.js'
import {renderReports} from '../render/reports.js'
import {limitReport, loadReports, type Report as ReportData} from '../reports/index.js'

export default class Report extends BaseCommand {
  static override summary = 'Print the reports from the processed store.'
  static override description =
    'Each report opens with a headline (mean and standard deviation; how many series, and the share scored on the annual basis; the series and its years). On a terminal a table shows its first rows and how many more there are (--limit 0 shows all); piped or redirected output is complete. --json prints one object, {reports: […]}; --format json prints one line per report (JSON lines, as consume does); both honour --only and --limit. Colour only on a terminal, never with NO_COLOR; text from the data is printed without control characters.'

  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report --only best-year --limit 10',
    '<%= config.bin %> report --limit 0 | less',
    '<%= config.bin %> report --bucket my-bucket --format csv --only series > series.csv',
  ]

  static override flags = {
    processed,
    bucket: processedBucket,
    endpoint,
    region,
    ...reportFlags,
    json: jsonFlag('the reports ({"reports": [...]}, each as its file holds it)'),
  }

  async run(): Promise<{reports: ReportData[]}> {
    const {flags} = await this.parse(Report)
    const json = this.jsonEnabled()
    const problem = json ? undefined : reportFlagsProblem(flags)
    if (problem) this.usageError(problem)
    const store = this.store(this.locations(flags).processed, flags)
    let reports: ReportData[]
    try {
      reports = await loadReports(store, selectedReports(flags.only))
    } catch (error) {
      this.fail(error)
    }
    const limit = rowLimit({limit: flags.limit, format: json ? 'json' : flags.format}, process.stdout)
    if (!json) this.log(await renderReports(reports, reportFormat(flags.format), {color: useColor(process.stdout, process.env), limit}))
    return {reports: reports.map((report) => limitReport(report, limit))}
  }
}
