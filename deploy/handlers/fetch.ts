// Lambda: `dataquest fetch` into the raw bucket (the state machine's fetch steps).
import {FetchError, type FetchSummary, fetchUpstream, resolveSurveys} from '../../src/fetch/index.js'
import {parseSurveyList, SurveyCodeError} from '../../src/sources/upstream.js'
import {type HandlerEnv, logFailure, logLine, requireEnv, storeFromEnv} from './environment.js'

/**
 * What the state machine asks, all fields optional:
 * - `{"mode": "surveys"}`: no fetch, only the survey codes to fan out over (DATAQUEST_SURVEY, `all` expanded);
 * - `{"survey": "cu"}`: that survey only, no population (add `"population": true` for both);
 * - `{"population": true}`: the population API only (`false`: the configured surveys only);
 * - `{}`: every configured survey and the population.
 */
export interface FetchEvent {
  mode?: 'surveys'
  survey?: string
  population?: boolean
}

/** The summary without its per-file list: a state's output must stay under Step Functions' 256 KB. */
export type CompactFetchSummary = Omit<FetchSummary, 'files'>

const compact = ({files: _files, ...summary}: FetchSummary): CompactFetchSummary => summary

/** DATAQUEST_SURVEY (default `pr`), read as the --survey flag reads it. */
const configuredSurveys = (env: HandlerEnv): string[] | 'all' => parseSurveyList(env.DATAQUEST_SURVEY ?? 'pr')

/** The one survey an event names, checked as a --survey code. */
function eventSurvey(survey: string): string[] {
  const codes = parseSurveyList(survey)
  if (codes === 'all' || codes.length !== 1) throw new SurveyCodeError(survey)
  return codes
}

/**
 * Environment: DATAQUEST_RAW (s3://raw-bucket/), DATAQUEST_CONTACT, DATAQUEST_VERSION,
 * DATAQUEST_SURVEY (default pr), DATAQUEST_BLS_ROOT, DATAQUEST_POPULATION_URL, and optionally
 * DATAQUEST_BLS_URL (the pr directory, winning over the root for pr). Returns the survey list, or
 * the compact summary (the execution's output; each changed or failed file is logged instead);
 * a failed fetch throws after logging, which fails the step with the error's name and message.
 */
export async function handler(event: FetchEvent = {}): Promise<{surveys: string[]} | CompactFetchSummary> {
  const env = process.env
  const client = {contact: env.DATAQUEST_CONTACT, version: requireEnv(env, 'DATAQUEST_VERSION'), blsRoot: requireEnv(env, 'DATAQUEST_BLS_ROOT')}
  if (event.mode === 'surveys') {
    const {surveys, warnings} = await resolveSurveys({...client, surveys: configuredSurveys(env)})
    logLine({step: 'fetch', mode: 'surveys', surveys, warnings})
    return {surveys}
  }
  try {
    const summary = await fetchUpstream({
      ...client,
      store: storeFromEnv(env, 'DATAQUEST_RAW'),
      surveys: event.survey !== undefined ? eventSurvey(event.survey) : event.population === true ? [] : configuredSurveys(env),
      population: event.population ?? event.survey === undefined,
      blsUrl: env.DATAQUEST_BLS_URL,
      populationUrl: requireEnv(env, 'DATAQUEST_POPULATION_URL'),
      onProgress: (progress) => {
        if (progress.type === 'warning' || progress.type === 'retry') logLine({step: 'fetch', ...progress})
        if (progress.type === 'file' && (progress.file.action !== 'unchanged' || progress.file.error)) logLine({step: 'fetch', ...progress})
      },
    })
    logLine({step: 'fetch', summary: compact(summary)})
    return compact(summary)
  } catch (error) {
    // What was done before the failure still matters: log it, then fail the step.
    logFailure('fetch', error, error instanceof FetchError ? {summary: compact(error.summary)} : {})
    throw error
  }
}
