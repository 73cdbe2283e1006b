import {HttpClient, type HttpClientOptions, MAX_CONCURRENT_REQUESTS, type RetryEvent} from '../http/client.js'
import {userAgent} from '../http/user-agent.js'
import {readListing, readRootListing} from '../sources/bls.js'
import {readPopulation} from '../sources/population.js'
import {BLS_ROOT, REPORT_SURVEY, surveyUrl} from '../sources/upstream.js'
import {applyPlan, type MirrorCounts, type MirrorFile, mirrorCounts, resultOf} from '../mirror/apply.js'
import type {KeyFilter} from '../mirror/filter.js'
import {GuardError, maxDeleteRefusal} from '../mirror/guard.js'
import {MIRROR_ACTIONS, type MirrorAction, type PlannedFile} from '../mirror/march.js'
import {md5Hex} from '../stores/md5.js'
import {type Store, unsafeKeyProblem, writeBatch} from '../stores/store.js'
import {blsPrefix, POPULATION_KEY, POPULATION_PREFIX} from '../stores/raw-layout.js'
import {mapLimit} from '../util/concurrency.js'
import {byKey, countActions} from '../util/outcomes.js'
import {download, type DownloadProgress} from './apply.js'
import {type FetchPlan, planFetch, planPopulation, SOURCE_META} from './plan.js'
import {DataquestError, hintOf} from '../util/errors.js'

export {BLS_ROOT, BLS_URL, POPULATION_URL} from '../sources/upstream.js'

/** What happened to one file. */
export type FileResult = MirrorFile

export interface FetchOptions {
  /** The raw store. */
  store: Store
  /** E-mail address or URL for the User-Agent; BLS refuses requests without one. */
  contact: string | undefined
  /** dataquest's version, for the User-Agent. */
  version: string
  /** The BLS time-series root (default BLS_ROOT): survey S is read from `<root>S/`. */
  blsRoot?: string
  /** Survey codes to mirror, or 'all' for every survey the root lists (default `['pr']`). */
  surveys?: readonly string[] | 'all'
  /** The `pr` directory, instead of `<blsRoot>pr/` (kept for compatibility; it wins for `pr`). */
  blsUrl?: string
  /** The population API (POPULATION_URL in sources/upstream.ts). */
  populationUrl: string
  /** Mirror the population API too (default true). */
  population?: boolean
  /** Override the guard (deletions, shrinking). */
  force?: boolean
  /** Change nothing when the surveys' plans delete more than this many files in all. */
  maxDelete?: number
  /** Keys (`bls/<survey>/<file>`, `datausa/population.json`) neither fetched nor deleted. */
  filter?: KeyFilter
  /** Plan only: read the listings and the API, write nothing. */
  dryRun?: boolean
  /** Timeouts and retry pacing (tests shorten them). */
  http?: Omit<HttpClientOptions, 'userAgent' | 'onRetry'>
  onProgress?: (event: FetchEvent) => void
}

/** Files by what was done to them, and the bytes written to the store: for a fetch and each of its surveys. */
export type FetchCounts = Omit<MirrorCounts, 'kept'>

/** What one survey's mirror did. */
export interface SurveySummary extends FetchCounts {
  survey: string
  /** Why the survey failed, in part or whole (its listing, its deletion guard, its files). */
  error?: string
}

export type FetchEvent =
  | {type: 'planned'; counts: Record<FetchAction, number>}
  | {type: 'file'; file: FileResult}
  | {type: 'survey'; survey: SurveySummary}
  | {type: 'warning'; message: string}
  | ({type: 'retry'} & RetryEvent)
  | ({type: 'progress'} & DownloadProgress)

export interface FetchSummary extends FetchCounts {
  store: string
  dryRun: boolean
  /** Body bytes received from upstream (listing and API included). */
  downloaded: number
  /** Upstream HTTP requests, retries included. */
  requests: number
  /** One line per survey, in the order asked (sorted for `all`). */
  surveys: SurveySummary[]
  files: FileResult[]
  warnings: string[]
  errors: string[]
}

/** Some part of the fetch failed; `summary` tells what was done anyway. */
export class FetchError extends DataquestError {
  constructor(readonly summary: FetchSummary, readonly causes: Error[]) {
    // The first cause with a hint (a 403 wants a contact) is the whole fetch's hint.
    super('partial', causes.map((cause) => cause.message).join('; '), {hint: causes.map(hintOf).find(Boolean)})
    this.name = 'FetchError'
  }
}

type ClientOptions = Pick<FetchOptions, 'contact' | 'version' | 'http'>

const clientFor = (options: ClientOptions, onRetry?: (event: RetryEvent) => void): HttpClient =>
  new HttpClient({...options.http, userAgent: userAgent(options.version, options.contact), onRetry})

/* c8 ignore next -- without a root, download.bls.gov itself is read: tests never do */
const rootOf = (options: Pick<FetchOptions, 'blsRoot'>): string => options.blsRoot ?? BLS_ROOT

/** The survey codes asked for: the list as given, or for `all` those the root lists (one request). */
async function surveyCodes(client: HttpClient, options: Pick<FetchOptions, 'blsRoot' | 'surveys'>): Promise<{surveys: string[]; warnings: string[]}> {
  if (options.surveys !== 'all') return {surveys: [...(options.surveys ?? [REPORT_SURVEY])], warnings: []}
  const root = rootOf(options)
  const listed = await readRootListing(client, root)
  if (listed.surveys.length === 0) {
    throw new DataquestError('upstream', `the BLS root ${root} lists no survey folders; nothing to mirror`, {hint: {flag: ['bls-root'], say: 'check {bls-root}'}})
  }
  return listed
}

/**
 * The surveys `surveys` stands for: as given, or for `all` every survey folder the root lists
 * (one request; warnings name the links skipped). Throws MissingContactError without a contact.
 */
export async function resolveSurveys(options: ClientOptions & Pick<FetchOptions, 'blsRoot' | 'surveys'>): Promise<{surveys: string[]; warnings: string[]}> {
  return surveyCodes(clientFor(options), options)
}

export type FetchAction = Exclude<MirrorAction, 'keep'>
const FETCH_ACTIONS = MIRROR_ACTIONS.filter((action): action is FetchAction => action !== 'keep')

/** The population's plan, unless a filter leaves it out. */
const filtered = (plan: PlannedFile<never>, filter: KeyFilter | undefined): PlannedFile<never> => {
  const excluded = filter?.excludedBy(plan.key)
  return excluded ? {...plan, action: 'exclude', reason: `excluded by ${excluded.pattern}`} : plan
}

/** One survey after reading: its plan, or why there is none. */
interface SurveyRead {
  survey: string
  plan?: FetchPlan
  error?: Error
}

/** What the files did (fetch keeps nothing: its survey folders are its own). */
function fetchCounts(files: readonly FileResult[]): FetchCounts {
  const {kept: _none, ...counts} = mirrorCounts(files)
  return counts
}

/** Per-survey counts of what its files did. */
function surveySummary(survey: string, files: readonly FileResult[], causes: readonly Error[]): SurveySummary {
  const failures = files.filter((file) => file.error).map((file) => new Error(file.error))
  const errors = [...causes, ...failures].map((cause) => cause.message)
  return {survey, ...fetchCounts(files), ...(errors.length > 0 ? {error: errors.join('; ')} : {})}
}

/**
 * Mirror each BLS survey's directory into `bls/<survey>/` and the population API into
 * `datausa/population.json` of the raw store, incrementally. Each survey is read, planned and
 * guarded on its own, and one survey's failure does not stop the others. Throws
 * MissingContactError before any request without a contact, and FetchError (after doing what it
 * could) when any part failed.
 */
export async function fetchUpstream(options: FetchOptions): Promise<FetchSummary> {
  const {store, dryRun = false} = options
  const emit = options.onProgress ?? (() => {})
  const client = clientFor(options, (event) => emit({type: 'retry', ...event}))
  // The store first: a wrong bucket or folder fails before anything is asked of upstream. Listed,
  // not stat'ed: S3's manifest vouches for an unchanged copy LIST shows, where a stat is a HEAD on
  // every run. Not looked up at all when the population is not fetched (the deploy's survey Lambdas).
  const storedPopulation = options.population === false ? undefined : (await store.list(POPULATION_PREFIX)).find((object) => object.key === POPULATION_KEY)
  const causes: Error[] = []
  const warnings: string[] = []
  const warn = (message: string): void => {
    warnings.push(message)
    emit({type: 'warning', message})
  }

  // Read every source (settled: one failing source does not stop the others), then decide, then act.
  const readSurvey = async (survey: string): Promise<SurveyRead> => {
    const url = survey === REPORT_SURVEY && options.blsUrl ? options.blsUrl : surveyUrl(rootOf(options), survey)
    try {
      const [stored, listing] = await Promise.all([store.list(blsPrefix(survey)), readListing(client, url)])
      for (const message of listing.warnings) warn(`${message} (survey ${survey})`)
      // A listing name no store can hold (`.dataquest-lock`, `a\\b`) would be "added" on every run: skipped, said.
      const entries = listing.entries.filter((entry) => {
        const problem = unsafeKeyProblem(blsPrefix(survey) + entry.name)
        if (problem) warn(`skipped ${entry.name} in the listing of survey ${survey}: ${problem}`)
        return !problem
      })
      const plan = planFetch(entries, stored, {force: options.force, filter: options.filter, prefix: blsPrefix(survey)})
      return plan.refusal ? {survey, error: new GuardError(`survey ${survey}: ${plan.refusal.reason}`, plan.refusal)} : {survey, plan}
    } catch (error) {
      return {survey, error: error as Error}
    }
  }
  const [population, reads] = await Promise.all([
    options.population === false ? undefined : readPopulation(client, options.populationUrl).then((value) => ({value}), (error: Error) => ({error})),
    surveyCodes(client, options).then(
      ({surveys, warnings: skipped}) => {
        skipped.forEach(warn)
        return mapLimit(surveys, MAX_CONCURRENT_REQUESTS, readSurvey)
      },
      (error: Error) => {
        causes.push(error)
        return []
      },
    ),
  ])

  // --max-delete weighs the whole fetch, not each survey: over it, no survey (nor the population) changes.
  const deletes = reads.reduce((sum, read) => sum + (read.plan?.files.filter((file) => file.action === 'delete').length ?? 0), 0)
  const overLimit = maxDeleteRefusal(deletes, options.maxDelete)
  if (overLimit) causes.push(new GuardError(`the BLS listings: ${overLimit}`, {forcible: false}))
  const plans = overLimit ? [] : reads.flatMap((read) => (read.plan ? [read] : []))

  const files: FileResult[] = []
  const record = (file: FileResult): void => {
    files.push(file)
    emit({type: 'file', file})
  }
  const canonical = population && 'value' in population && !overLimit ? population.value.canonical : undefined
  const populationPlan = canonical === undefined ? undefined : filtered(planPopulation(md5Hex(canonical), storedPopulation), options.filter)
  if (population && 'error' in population) causes.unshift(population.error)
  // Fetch deletes all that its listings lack (deletes: 'all'), so its plans hold no `keep`.
  const planned = [...(populationPlan ? [populationPlan] : []), ...plans.flatMap((read) => read.plan!.files)] as {action: FetchAction}[]
  emit({type: 'planned', counts: countActions(planned, FETCH_ACTIONS)})

  const writePopulation = async (): Promise<void> => {
    if (!populationPlan) return
    if (dryRun || populationPlan.action === 'unchanged' || populationPlan.action === 'exclude') return record(resultOf(populationPlan))
    // Where it came from, as each BLS file records its listing entry.
    const metadata = {[SOURCE_META.url]: options.populationUrl}
    const written = await store.write(POPULATION_KEY, canonical!, {contentType: 'application/json', metadata})
    record(resultOf(populationPlan, {bytes: written.size}))
  }
  const onBytes = (progress: DownloadProgress): void => emit({type: 'progress', ...progress})
  const mirrorSurvey = async ({survey, plan, error}: SurveyRead): Promise<SurveySummary> => {
    const done: FileResult[] = []
    const onFile = (file: FileResult): void => {
      done.push(file)
      record(file)
    }
    if (plan && !overLimit) {
      await applyPlan(plan, {target: store, dryRun, concurrency: MAX_CONCURRENT_REQUESTS, onFile, transfer: (file) => download(file, {store, client, onBytes})})
    }
    const summary = surveySummary(survey, done, error ? [error] : [])
    emit({type: 'survey', survey: summary})
    return summary
  }
  const mirror = (): Promise<[void, SurveySummary[]]> => Promise.all([writePopulation(), Promise.all(reads.map(mirrorSurvey))])
  // A dry run saves nothing, not even what its listings learnt.
  const [, surveys] = await (dryRun ? mirror() : writeBatch(store, mirror))

  files.sort(byKey)
  const failures = files.filter((file) => file.error)
  causes.push(...reads.flatMap((read) => (read.error ? [read.error] : [])), ...failures.map((file) => new Error(file.error)))
  const summary: FetchSummary = {
    store: store.location,
    dryRun,
    ...fetchCounts(files),
    downloaded: client.bytesReceived,
    requests: client.requests,
    surveys,
    files,
    warnings,
    errors: causes.map((cause) => cause.message),
  }
  if (causes.length > 0) throw new FetchError(summary, causes)
  return summary
}
