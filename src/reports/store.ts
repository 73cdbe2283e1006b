import {text} from 'node:stream/consumers'

import {md5Hex} from '../stores/md5.js'
import {NotFoundError, type Store} from '../stores/store.js'
import {parseReport} from './parse.js'
import {type Report, type ReportName, REPORT_NAMES, reportKey} from './types.js'

/** Same report → same bytes: fixed key order (as built), no timestamps, a final newline. */
export const serializeReport = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`

export interface WrittenFile {
  key: string
  /** `unchanged`: the stored object already had this content, so it was not rewritten; `would write`: a dry run's changed report. */
  status: 'written' | 'unchanged' | 'would write'
  md5: string
  size: number
}

/**
 * Write reports whose content changed; leave the others alone, so an unchanged report causes
 * no S3 event (and no SQS message). `dryRun` compares only.
 */
export async function writeReports(processed: Store, reports: readonly Report[], {dryRun = false} = {}): Promise<WrittenFile[]> {
  return Promise.all(
    reports.map(async (report): Promise<WrittenFile> => {
      const key = reportKey(report.report)
      const body = serializeReport(report)
      const md5 = md5Hex(body)
      const size = Buffer.byteLength(body)
      if ((await processed.stat(key))?.md5 === md5) return {key, status: 'unchanged', md5, size}
      if (dryRun) return {key, status: 'would write', md5, size}
      await processed.write(key, body, {contentType: 'application/json'})
      return {key, status: 'written', md5, size}
    }),
  )
}

export class MissingReportsError extends Error {
  constructor(readonly location: string, readonly missing: string[]) {
    super(`no ${missing.join(', ')} in ${location}: run \`dataquest transform\` first`)
    this.name = 'MissingReportsError'
  }
}

/** Read one report from the processed store, checking it is what its name says. */
async function loadReport(processed: Store, name: ReportName): Promise<Report> {
  const key = reportKey(name)
  const content = await text(await processed.read(key))
  let json: unknown
  try {
    json = JSON.parse(content)
  } catch (error) {
    throw new Error(`${key} in ${processed.location} is not JSON (${(error as Error).message}); run \`dataquest transform\` to rewrite it`, {cause: error})
  }
  const report = parseReport(json)
  if (report.report !== name) throw new Error(`${key} in ${processed.location} holds a ${report.report} report; run \`dataquest transform\` to rewrite it`)
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
