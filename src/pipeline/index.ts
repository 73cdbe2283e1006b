import {type FetchOptions, type FetchSummary, fetchUpstream} from '../fetch/index.js'
import {userAgent} from '../http/user-agent.js'
import {fetchProgress} from '../render/progress.js'
import {fetchLine} from '../render/summary.js'
import {loadReports, type Report, type ReportName} from '../reports/index.js'
import type {Store} from '../stores/store.js'
import {type TransformOptions, type TransformSummary, transformStores} from '../transform/index.js'

export type StepId = 'fetch' | 'transform' | 'report'

/** What a step can tell its renderer while it runs. */
export interface StepControl {
  /** Live detail, replaced by the next. */
  update(text: string): void
  /** A line kept for the end. */
  warn(message: string): void
  /** A line shown now (a retry being waited on). */
  note(message: string): void
}

/** One step of the pipeline: what it is, how to run it, how to describe its outcome in a line. */
export interface PipelineStep {
  id: StepId
  title: string
  run(control: StepControl): Promise<string>
}

export interface PipelineOptions {
  raw: Store
  processed: Store
  fetch: Omit<FetchOptions, 'store' | 'onProgress'>
  transform: Omit<TransformOptions, 'raw' | 'processed' | 'onProgress'>
  /** The reports to read back and print, in order. */
  reports: readonly ReportName[]
}

/** Every step's result so far: a failed run still tells what the steps before it did. */
export interface PipelineResult {
  fetch?: FetchSummary
  transform?: TransformSummary
  reports?: Report[]
}

/** A step failed; the message names it, `cause` is the step's own error. */
export class StepError extends Error {
  constructor(readonly step: StepId, cause: Error) {
    super(`${step} failed: ${cause.message}`, {cause})
    this.name = 'StepError'
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 || word.endsWith('s') ? '' : 's'}`

/**
 * The steps of `dataquest run` — fetch, transform, read the reports back — each filling in
 * `result`. Planned up front so a task list can show them all before the first one starts.
 * Checks the contact before anything runs: fetch cannot succeed without one. A dry run
 * (`fetch.dryRun`) is the fetch plan alone: nothing is written, so there is nothing to transform.
 */
export function planPipeline(options: PipelineOptions, result: PipelineResult): PipelineStep[] {
  userAgent(options.fetch.version, options.fetch.contact)
  const step = <T>(id: StepId, title: string, run: (control: StepControl) => Promise<T>, record: (value: T) => string): PipelineStep => ({
    id,
    title,
    async run(control) {
      try {
        return record(await run(control))
      } catch (error) {
        throw new StepError(id, error as Error)
      }
    },
  })
  const fetch = step(
    'fetch',
    `${options.fetch.dryRun ? 'Plan the fetch' : 'Fetch upstream'} into ${options.raw.location}`,
    (control) => fetchUpstream({...options.fetch, store: options.raw, onProgress: fetchProgress(control)}),
    (summary) => {
      result.fetch = summary
      return fetchLine(summary)
    },
  )
  if (options.fetch.dryRun) return [fetch]
  return [
    fetch,
    step(
      'transform',
      `Transform into ${options.processed.location}`,
      async (control) => {
        const transformed = await transformStores({
          ...options.transform,
          raw: options.raw,
          processed: options.processed,
          onProgress: ({bytes, totalBytes}) => control.update(`${Math.round((100 * bytes) / Math.max(totalBytes, 1))}%`),
        })
        // As `transform` warns: an empty series report (a series id that matches nothing) is said.
        transformed.warnings.forEach((warning) => control.warn(warning))
        return transformed
      },
      ({reports: _reports, ...summary}) => {
        result.transform = summary
        const written = summary.files.filter((file) => file.status === 'written').length
        return `${plural(summary.series, 'series')}, ${plural(summary.rejected.count, 'rejected row')}, ${written} of ${summary.files.length} files rewritten`
      },
    ),
    step(
      'report',
      `Read the reports from ${options.processed.location}`,
      () => loadReports(options.processed, options.reports),
      (reports) => {
        result.reports = reports
        return plural(reports.length, 'report')
      },
    ),
  ]
}
