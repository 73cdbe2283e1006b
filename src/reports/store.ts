import {md5Hex} from '../stores/md5.js'
import {NotFoundError, type Store, writeBatch} from '../stores/store.js'
import {parseReport, ReportFormatError} from './parse.js'
import {type Report, type ReportName, REPORT_NAMES, reportKey} from './types.js'
import {DataquestError} from '../util/errors.js'

/** Same report → same bytes: fixed key order (as built), no timestamps, a final newline. */
export const serializeReport = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`

export interface WrittenFile {
  key: string
  /** `unchanged`: the stored object already had this content, so it was not rewritten; `would write`: a dry run's changed file. */
  status: 'written' | 'unchanged' | 'would write'
  md5: string
  size: number
}

/**
 * One file of the report set, ready to write: bytes, made once from the text (hashing and writing a
 * string would each copy it again: at 282,000 series the JSON alone is 33 MB).
 */
export interface ReportFile {
  key: string
  body: Uint8Array
  contentType: string
}

/** The processed-store key of the page that shows the reports (reports/html.ts). */
export const PAGE_KEY = 'report.html'

/**
 * Every file of the report set: each report as JSON, CSV and Parquet (same name, its own
 * extension), and the page of them all. The JSON files come last: they are what S3 notifies and
 * consumers read, so where a store writes one file at a time (S3) the rest is in place before them.
 */
export async function reportFiles(reports: readonly Report[]): Promise<ReportFile[]> {
  const [{flatCsv, flatTable}, {flatParquet}, {renderHtml}] = await Promise.all([import('./flat-files.js'), import('./parquet.js'), import('./html.js')])
  const flat: ReportFile[] = []
  for (const report of reports) {
    const table = flatTable(report)
    const base = report.report
    flat.push(
      {key: `${base}.csv`, body: flatCsv(table), contentType: 'text/csv; charset=utf-8'},
      {key: `${base}.parquet`, body: flatParquet(table), contentType: 'application/vnd.apache.parquet'},
    )
  }
  const page = {key: PAGE_KEY, body: Buffer.from(renderHtml(reports)), contentType: 'text/html; charset=utf-8'}
  const json = reports.map((report) => ({key: reportKey(report.report), body: Buffer.from(serializeReport(report)), contentType: 'application/json'}))
  return [...flat, page, ...json]
}

/**
 * Write the report set (reportFiles), only the files whose content changed, so an unchanged one
 * causes no S3 event (and no SQS message). A store that can write several files as one set
 * (folders: all or none visible) does so; elsewhere they go one at a time, JSON last. Every write
 * settles before a failure is thrown: nothing is left half-written behind an exit. `dryRun`
 * compares only.
 */
export async function writeReports(processed: Store, reports: readonly Report[], {dryRun = false} = {}): Promise<WrittenFile[]> {
  const files = await reportFiles(reports)
  const results = await Promise.all(
    files.map(async (file): Promise<WrittenFile> => {
      const md5 = md5Hex(file.body)
      const size = file.body.length
      const unchanged = (await processed.stat(file.key))?.md5 === md5
      return {key: file.key, status: unchanged ? 'unchanged' : dryRun ? 'would write' : 'written', md5, size}
    }),
  )
  const writes = files.flatMap(({key, body, contentType}, i) => (results[i]!.status === 'written' ? [{key, body, options: {contentType, md5: results[i]!.md5}}] : []))
  if (writes.length === 0) return results // a dry run, or nothing changed: nothing to save either
  await writeBatch(processed, async () => {
    if (processed.writeAll) await processed.writeAll(writes)
    else for (const {key, body, options} of writes) await processed.write(key, body, options)
  })
  return results
}

export class MissingReportsError extends DataquestError {
  constructor(readonly location: string, readonly missing: string[]) {
    super('input', `no ${missing.join(', ')} in ${location}: run \`dataquest transform\` first`)
    this.name = 'MissingReportsError'
  }
}

/**
 * The real best-year report is ~60 kB and one of 200,000 series ~40 MB; a stray huge object must
 * not fill memory (the logger Lambda's included: some 400,000 rows of JSON parse within its 1 GB).
 */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024

export interface ReadReportOptions {
  /** Larger objects are refused unread past this many bytes. */
  maxBytes?: number
}

/**
 * Read the report stored at `key`, parse it and check its shape (parseReport). Throws the store's
 * NotFoundError when there is no such object, ReportFormatError (without the key: callers name it)
 * when it is too large, not JSON or not a report.
 */
export async function readReport(store: Store, key: string, {maxBytes = MAX_REPORT_BYTES}: ReadReportOptions = {}): Promise<Report> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of await store.read(key)) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw new ReportFormatError(`larger than ${maxBytes} bytes, not a report`)
    chunks.push(chunk as Buffer)
  }
  let json: unknown
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (error) {
    throw new ReportFormatError('not JSON', {cause: error})
  }
  return parseReport(json)
}

/** Read one report from the processed store, checking it is what its name says. */
async function loadReport(processed: Store, name: ReportName): Promise<Report> {
  const key = reportKey(name)
  const rewrite = 'run `dataquest transform` to rewrite it'
  let report: Report
  try {
    report = await readReport(processed, key)
  } catch (error) {
    if (!(error instanceof ReportFormatError)) throw error
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
    throw new ReportFormatError(`${key} in ${processed.location}: ${error.message}${cause}; ${rewrite}`, {cause: error})
  }
  if (report.report !== name) throw new ReportFormatError(`${key} in ${processed.location} holds a ${report.report} report; ${rewrite}`)
  return report
}

/**
 * The reports in the processed store, in `names` order (all three by default). Throws
 * MissingReportsError naming every one that is absent.
 */
export async function loadReports(processed: Store, names: readonly ReportName[] = REPORT_NAMES): Promise<Report[]> {
  const results = await Promise.allSettled(names.map((name) => loadReport(processed, name)))
  const missing = names.filter((_, i) => {
    const result = results[i]!
    return result.status === 'rejected' && result.reason instanceof NotFoundError
  })
  if (missing.length > 0) throw new MissingReportsError(processed.location, missing.map(reportKey))
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason
    return result.value
  })
}
