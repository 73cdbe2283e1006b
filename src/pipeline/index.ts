import {type FetchEvent, type FetchOptions, type FetchSummary, fetchUpstream} from '../fetch/index.js'
import {userAgent} from '../http/user-agent.js'
import {loadReports, type Report, type ReportName} from '../reports/index.js'
import type {Store} from '../stores/store.js'
import {type TransformOptions, type TransformProgress, type TransformSummary, transformStores} from '../transform/index.js'
import {DataquestError, hintOf} from '../util/errors.js'

export type StepId = 'fetch' | 'transform' | 'report'

/** What a step reports while it runs; render/ shows it. */
export type StepEvent = {step: 'fetch'; event: FetchEvent} | {step: 'transform'; progress: TransformProgress} | {step: 'transform'; warning: string}

/** What a step did, for render/ to word when it ends. */
export type StepOutcome =
  | {step: 'fetch'; summary: FetchSummary}
  | {step: 'transform'; summary: Omit<TransformSummary, 'reports'>}
  | {step: 'report'; reports: Report[]}

/** One step of the pipeline: what it is and how to run it. */
export interface PipelineStep {
  id: StepId
  title: string
  run(onEvent: (event: StepEvent) => void): Promise<StepOutcome>
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
export class StepError extends DataquestError {
  constructor(readonly step: StepId, cause: Error) {
    super(cause instanceof DataquestError ? cause.kind : 'input', `${step} failed: ${cause.message}`, {cause, hint: hintOf(cause)})
    this.name = 'StepError'
  }
}

/**
 * The steps of `dataquest run` — fetch, transform, read the reports back — each filling in
 * `result` and returning its outcome; what they report while running and their outcomes are
 * data, worded by render/pipeline.ts. Checks the contact before anything runs: fetch cannot succeed without one. A dry run
 * (`fetch.dryRun`) is the fetch plan alone: nothing is written, so there is nothing to transform.
 */
export function planPipeline(options: PipelineOptions, result: PipelineResult): PipelineStep[] {
  userAgent(options.fetch.version, options.fetch.contact)
  const step = (id: StepId, title: string, run: (onEvent: (event: StepEvent) => void) => Promise<StepOutcome>): PipelineStep => ({
    id,
    title,
    async run(onEvent) {
      try {
        return await run(onEvent)
      } catch (error) {
        throw new StepError(id, error as Error)
      }
    },
  })
  const fetch = step('fetch', `${options.fetch.dryRun ? 'Plan the fetch' : 'Fetch upstream'} into ${options.raw.location}`, async (onEvent) => {
    result.fetch = await fetchUpstream({...options.fetch, store: options.raw, onProgress: (event) => onEvent({step: 'fetch', event})})
    return {step: 'fetch', summary: result.fetch}
  })
  if (options.fetch.dryRun) return [fetch]
  return [
    fetch,
    step('transform', `Transform into ${options.processed.location}`, async (onEvent) => {
      const {reports: _reports, ...summary} = await transformStores({
        ...options.transform,
        raw: options.raw,
        processed: options.processed,
        onProgress: (progress) => onEvent({step: 'transform', progress}),
      })
      // As `transform` warns: an empty series report (a series id that matches nothing) is said.
      for (const warning of summary.warnings) onEvent({step: 'transform', warning})
      result.transform = summary
      return {step: 'transform', summary}
    }),
    step('report', `Read the reports from ${options.processed.location}`, async () => {
      result.reports = await loadReports(options.processed, options.reports)
      return {step: 'report', reports: result.reports}
    }),
  ]
}
