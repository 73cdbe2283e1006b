import {Errors, Flags} from '@oclif/core'
import type {ParserOutput} from '@oclif/core/interfaces'

import {bucketName, DEFAULT_PROCESSED, DEFAULT_RAW} from '../config/locations.js'
import {CONTACT_REASON} from '../http/user-agent.js'
import {type FilterRule, KeyFilter} from '../mirror/filter.js'
import {BLS_ROOT, parseSurveyList, POPULATION_URL} from '../sources/upstream.js'

/**
 * `[default: X, env: Y] text`: the tags where oclif puts them for the flags it reads itself, for the
 * flags resolved elsewhere (raw/processed/bucket are resolved together in config/locations.ts, so
 * oclif's own `env` is not used for them: a --bucket flag must win over DATAQUEST_RAW).
 */
const tagged = (text: string, tags: {default?: string; env: string}): string =>
  `[${tags.default === undefined ? '' : `default: ${tags.default}, `}env: ${tags.env}] ${text}`

export const raw = Flags.string({
  description: tagged('raw store: a folder or s3://bucket/prefix', {default: DEFAULT_RAW, env: 'DATAQUEST_RAW'}),
  helpValue: 'LOC',
})

export const processed = Flags.string({
  description: tagged('processed store: a folder or s3://bucket/prefix', {default: DEFAULT_PROCESSED, env: 'DATAQUEST_PROCESSED'}),
  helpValue: 'LOC',
})

/** A value the library refuses is a usage mistake when it comes from a flag: exit 2, the library's message. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    throw new Errors.CLIError((error as Error).message, {exit: 2})
  }
}

/** `--bucket`: NAME or s3://NAME, checked when parsed (README: Limits). */
export const bucketFlag = Flags.custom<string>({helpValue: 'NAME', parse: async (input) => asUsage(() => bucketName(input))})

// Each command says which of its stores --bucket sets: fetch has only --raw, report only --processed.
const bucketFor = (sets: string) => bucketFlag({description: tagged(`shorthand for ${sets}`, {env: 'DATAQUEST_BUCKET'})})
export const bucket = bucketFor('--raw s3://NAME/raw/ and --processed s3://NAME/processed/')
export const rawBucket = bucketFor('--raw s3://NAME/raw/')
export const processedBucket = bucketFor('--processed s3://NAME/processed/')

/** The one URL check: a usage error (exit 2) when the flag is parsed, not retries against nothing. */
export function checkHttpUrl(input: string): string {
  let url: URL | undefined
  try {
    url = new URL(input)
  } catch {
    // reported below, with the protocol case
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new Errors.CLIError(`${JSON.stringify(input)} is not an http:// or https:// URL`, {exit: 2})
  }
  return input
}

/** A flag whose value must be an http(s) URL (checked at parse time, env values included). */
export const urlFlag = Flags.custom<string>({helpValue: 'URL', parse: async (input) => checkHttpUrl(input)})

export const endpoint = urlFlag({
  description: 'S3/SQS-compatible endpoint (an emulator, MinIO…), with path-style addressing; AWS itself when unset',
  env: 'AWS_ENDPOINT_URL',
})

export const region = Flags.string({
  description: 'AWS region of the bucket or queue; else AWS_DEFAULT_REGION, then the AWS profile',
  env: 'AWS_REGION',
  helpValue: 'REGION',
})

export const profile = Flags.string({
  description: 'AWS profile for S3 and SQS (its credentials and region in ~/.aws/credentials and ~/.aws/config), as the AWS CLI takes it',
  env: 'AWS_PROFILE',
  helpValue: 'NAME',
})

/** `--json`, saying what it prints (oclif's own says only "Format output as json."). */
export const jsonFlag = (what: string) =>
  Flags.boolean({description: `print ${what} as one JSON object on stdout, nothing else there (an error: {"error": {…}})`, helpGroup: 'GLOBAL'})

// Upstream flags (fetch, run): oclif reads their env vars and prints env and default in --help.
export const contact = Flags.string({
  description: `e-mail address or URL sent in the User-Agent; required, since ${CONTACT_REASON}`,
  env: 'DATAQUEST_CONTACT',
  helpValue: 'EMAIL',
})

// Surveys: a bad code is a usage error naming it. The value is the checked list, normalised
// (`pr,cu` or `all`): oclif's flag types take an array value for a multiple flag.
export const survey = Flags.custom<string>({
  description: 'BLS surveys to mirror, each into bls/<code>/: comma-separated codes (pr,cu,ce), or all for every survey --bls-root lists',
  env: 'DATAQUEST_SURVEY',
  default: 'pr',
  helpValue: 'LIST',
  parse: async (input) => {
    const surveys = asUsage(() => parseSurveyList(input))
    return surveys === 'all' ? surveys : surveys.join(',')
  },
})()

export const blsRoot = urlFlag({
  description: 'the BLS time-series root: survey S is read from <root>S/',
  env: 'DATAQUEST_BLS_ROOT',
  default: BLS_ROOT,
})

// No default, so that --bls-root reaches pr too unless this is given.
export const blsUrl = urlFlag({
  description: 'the BLS pr directory, mirrored into bls/pr/; wins over --bls-root for pr (kept for compatibility) [default: <bls-root>pr/]',
  env: 'DATAQUEST_BLS_URL',
})

export const populationUrl = urlFlag({
  description: 'the DataUSA population API, stored as datausa/population.json',
  env: 'DATAQUEST_POPULATION_URL',
  default: POPULATION_URL,
})

export const upstreamFlags = {contact, survey, 'bls-root': blsRoot, 'bls-url': blsUrl, 'population-url': populationUrl}

/** How to give a contact, for the errors that need one. */
export const CONTACT_HINT = 'set one with --contact you@example.com or the DATAQUEST_CONTACT environment variable'

export const locationFlags = {raw, processed, bucket, endpoint, region, profile}

// Mirror flags (fetch, sync). Filters as `aws s3 sync` takes them: repeatable, the last that matches wins.
export const mirrorFlags = {
  exclude: Flags.string({
    description: 'leave out keys matching GLOB (relative to the store; without a /, the file name): neither copied nor deleted; repeatable',
    multiple: true,
    helpValue: 'GLOB',
  }),
  include: Flags.string({description: 'take back keys an earlier --exclude left out; repeatable, the last filter that matches wins', multiple: true, helpValue: 'GLOB'}),
  'max-delete': Flags.integer({description: 'change nothing when the plan would delete more than N files (--force does not lift this)', min: 0, helpValue: 'N'}),
}

/** The --exclude/--include rules in the order given (oclif keeps each flag's values apart), or undefined without any. */
export function keyFilter(tokens: ParserOutput['raw']): KeyFilter | undefined {
  const rules = tokens.flatMap((token): FilterRule[] =>
    token.type === 'flag' && (token.flag === 'exclude' || token.flag === 'include') ? [{type: token.flag, pattern: token.input}] : [],
  )
  return rules.length > 0 ? new KeyFilter(rules) : undefined
}
