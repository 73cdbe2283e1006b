import {Flags} from '@oclif/core'

import {DEFAULT_PROCESSED, DEFAULT_RAW} from '../config/locations.js'
import {CONTACT_REASON} from '../http/user-agent.js'
import {BLS_ROOT, parseSurveyList} from '../sources/bls.js'
import {POPULATION_URL} from '../sources/population.js'

// Raw/processed/bucket are resolved together (see config/locations.ts), so oclif's own `env`
// is not used for them: a --bucket flag must win over DATAQUEST_RAW.
export const raw = Flags.string({
  description: `raw store: a folder or s3://bucket/prefix [env: DATAQUEST_RAW] [default: ${DEFAULT_RAW}]`,
  helpValue: 'LOC',
})

export const processed = Flags.string({
  description: `processed store: a folder or s3://bucket/prefix [env: DATAQUEST_PROCESSED] [default: ${DEFAULT_PROCESSED}]`,
  helpValue: 'LOC',
})

export const bucket = Flags.string({
  description: 'shorthand for --raw s3://NAME/raw/ and --processed s3://NAME/processed/ [env: DATAQUEST_BUCKET]',
  helpValue: 'NAME',
})

export const endpoint = Flags.string({
  description: 'S3/SQS-compatible endpoint (an emulator, MinIO…); path-style addressing then [default: AWS]',
  env: 'AWS_ENDPOINT_URL',
  helpValue: 'URL',
})

// Upstream flags (fetch, run): oclif reads their env vars and prints env and default in --help.
export const contact = Flags.string({
  description: `e-mail address or URL sent in the User-Agent; required, since ${CONTACT_REASON}`,
  env: 'DATAQUEST_CONTACT',
  helpValue: 'EMAIL',
})

// Surveys: a bad code is a usage error naming it (oclif prints the parse error and exits 2).
export const survey = Flags.custom<string[] | 'all'>({
  description: 'BLS surveys to mirror, each into bls/<code>/: comma-separated codes (pr,cu,ce), or all for every survey --bls-root lists',
  env: 'DATAQUEST_SURVEY',
  default: ['pr'],
  defaultHelp: 'pr',
  helpValue: 'LIST',
  parse: async (input) => parseSurveyList(input),
})()

export const blsRoot = Flags.string({
  description: 'the BLS time-series root: survey S is read from <root>S/',
  env: 'DATAQUEST_BLS_ROOT',
  default: BLS_ROOT,
  helpValue: 'URL',
})

// No default, so that --bls-root reaches pr too unless this is given.
export const blsUrl = Flags.string({
  description: 'the BLS pr directory, mirrored into bls/pr/; wins over --bls-root for pr (kept for compatibility) [default: <bls-root>pr/]',
  env: 'DATAQUEST_BLS_URL',
  helpValue: 'URL',
})

export const populationUrl = Flags.string({
  description: 'the DataUSA population API, stored as datausa/population.json',
  env: 'DATAQUEST_POPULATION_URL',
  default: POPULATION_URL,
  helpValue: 'URL',
})

export const upstreamFlags = {contact, survey, 'bls-root': blsRoot, 'bls-url': blsUrl, 'population-url': populationUrl}

/** How to give a contact, for the errors that need one. */
export const CONTACT_HINT = 'set one with --contact you@example.com or the DATAQUEST_CONTACT environment variable'

export const locationFlags = {raw, processed, bucket, endpoint}
