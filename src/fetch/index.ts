import {HttpClient, type HttpClientOptions, type RetryEvent} from '../http/client.js'
import {userAgent} from '../http/user-agent.js'
import {readListing} from '../sources/bls.js'
import {readPopulation} from '../sources/population.js'
import {md5Hex} from '../stores/md5.js'
import type {Store} from '../stores/store.js'
import {DeletionGuardError} from '../sync/deletion-guard.js'
import {BLS_PREFIX, POPULATION_KEY} from '../stores/raw-layout.js'
import {byKey, bytesOf, countActions, succeeded} from '../util/outcomes.js'
import {applyFetch, type DownloadProgress, type FileResult, resultOf} from './apply.js'
import {type FetchAction, type FetchPlan, planFetch, planPopulation} from './plan.js'

export {BLS_URL} from '../sources/bls.js'
export {POPULATION_URL} from '../sources/population.js'
export type {FileResult} from './apply.js'

export interface FetchOptions {
  /** The raw store. */
  store: Store
  /** E-mail address or URL for the User-Agent; BLS refuses requests without one. */
  contact: string | undefined
  /** dataquest's version, for the User-Agent. */
  version: string
  /** The BLS directory (BLS_URL in sources/bls.ts). */
  blsUrl: string
  /** The population API (POPULATION_URL in sources/population.ts). */
  populationUrl: string
  /** Override the deletion guard. */
  force?: boolean
  /** Plan only: read the listing and the API, write nothing. */
  dryRun?: boolean
  /** Timeouts and retry pacing (tests shorten them). */
  http?: Omit<HttpClientOptions, 'userAgent' | 'onRetry'>
  onProgress?: (event: FetchEvent) => void
}

export type FetchEvent =
  | {type: 'planned'; counts: Record<FetchAction, number>}
  | {type: 'file'; file: FileResult}
  | {type: 'warning'; message: string}
  | ({type: 'retry'} & RetryEvent)
  | ({type: 'progress'} & DownloadProgress)

export interface FetchSummary {
  store: string
  dryRun: boolean
  added: number
  replaced: number
  deleted: number
  unchanged: number
  failed: number
  /** Bytes written to the store. */
  bytes: number
  /** Body bytes received from upstream (listing and API included). */
  downloaded: number
  /** Upstream HTTP requests, retries included. */
  requests: number
  files: FileResult[]
  warnings: string[]
  errors: string[]
}

/** Some part of the fetch failed; `summary` tells what was done anyway. */
export class FetchError extends Error {
  constructor(readonly summary: FetchSummary, readonly causes: Error[]) {
    super(causes.map((cause) => cause.message).join('; '))
    this.name = 'FetchError'
  }
}

/**
 * Mirror the BLS `pr` directory into `bls/pr/` and the population API into
 * `datausa/population.json` of the raw store, incrementally. Throws MissingContactError before any
 * request without a contact, and FetchError (after doing what it could) when any part failed.
 */
export async function fetchUpstream(options: FetchOptions): Promise<FetchSummary> {
  const {store, dryRun = false} = options
  const emit = options.onProgress ?? (() => {})
  const client = new HttpClient({...options.http, userAgent: userAgent(options.version, options.contact), onRetry: (event) => emit({type: 'retry', ...event})})
  // The store first: a wrong bucket or folder fails before anything is asked of upstream.
  const [stored, storedPopulation] = await Promise.all([store.list(BLS_PREFIX), store.stat(POPULATION_KEY)])
  const [listing, population] = await Promise.allSettled([
    readListing(client, options.blsUrl),
    readPopulation(client, options.populationUrl),
  ])
  const causes: Error[] = []
  const warnings: string[] = []
  const files: FileResult[] = []
  const record = (file: FileResult): void => {
    files.push(file)
    emit({type: 'file', file})
  }

  // Decide for both sources first (pure), then act.
  const canonical = population.status === 'fulfilled' ? population.value.canonical : undefined
  const populationPlan = canonical === undefined ? undefined : planPopulation(md5Hex(canonical), storedPopulation)
  if (population.status === 'rejected') causes.push(population.reason as Error)
  let blsPlan: FetchPlan | undefined
  if (listing.status === 'fulfilled') {
    for (const message of listing.value.warnings) {
      warnings.push(message)
      emit({type: 'warning', message})
    }
    blsPlan = planFetch(listing.value.entries, stored, {force: options.force})
    if (blsPlan.refusal) causes.push(new DeletionGuardError(blsPlan.refusal))
  } else causes.push(listing.reason as Error)
  const planned = [...(populationPlan ? [populationPlan] : []), ...(blsPlan && !blsPlan.refusal ? blsPlan.files : [])]
  emit({type: 'planned', counts: countActions<FetchAction>(planned, ['add', 'replace', 'delete', 'unchanged'])})

  if (dryRun) planned.forEach((file) => record(resultOf(file)))
  else {
    if (populationPlan?.action === 'unchanged') record(resultOf(populationPlan))
    else if (populationPlan) {
      const written = await store.write(POPULATION_KEY, canonical!, {contentType: 'application/json'})
      record(resultOf(populationPlan, {bytes: written.size}))
    }
    if (blsPlan && !blsPlan.refusal) await applyFetch(blsPlan, {store, client, onFile: record, onBytes: (progress) => emit({type: 'progress', ...progress})})
  }

  files.sort(byKey)
  const failures = files.filter((file) => file.error)
  causes.push(...failures.map((file) => new Error(file.error)))
  const summary: FetchSummary = {
    store: store.location,
    dryRun,
    added: succeeded(files, 'add'),
    replaced: succeeded(files, 'replace'),
    deleted: succeeded(files, 'delete'),
    unchanged: succeeded(files, 'unchanged'),
    failed: failures.length,
    bytes: bytesOf(files),
    downloaded: client.bytesReceived,
    requests: client.requests,
    files,
    warnings,
    errors: causes.map((cause) => cause.message),
  }
  if (causes.length > 0) throw new FetchError(summary, causes)
  return summary
}
