import type {Node} from 'constructs'

import {BLS_ROOT, parseSurveyList} from '../src/sources/upstream.js'

/** What a deployment may change without editing code: all of it from CDK context (`-c key=value`). */
export interface DataquestSettings {
  /** EventBridge Scheduler expression, evaluated in UTC. */
  schedule: string
  /** Days a replaced or deleted raw object stays recoverable as a noncurrent version. */
  noncurrentVersionDays: number
  /** Delete the buckets and their objects with the stack (default: keep them). */
  destroyData: boolean
  /** Where alarm notifications are e-mailed (SNS asks the address to confirm); none by default. */
  alarmEmail?: string
  /** BLS survey codes to mirror, comma-separated, or `all` (the fetch Lambda's DATAQUEST_SURVEY). */
  surveys: string
  /** The BLS `time.series/` root the surveys are read from (DATAQUEST_BLS_ROOT). */
  blsRoot: string
  /** Hours without a succeeded execution after which the heartbeat alarm goes off. */
  heartbeatHours: number
}

export const CONTEXT = {
  schedule: 'dataquest:schedule',
  noncurrentVersionDays: 'dataquest:noncurrentVersionDays',
  removalPolicy: 'dataquest:removalPolicy',
  alarmEmail: 'dataquest:alarmEmail',
  surveys: 'dataquest:surveys',
  blsRoot: 'dataquest:blsRoot',
  heartbeatHours: 'dataquest:heartbeatHours',
} as const

export const DEFAULT_SETTINGS: DataquestSettings = {
  schedule: 'cron(0 8 * * ? *)',
  noncurrentVersionDays: 30,
  destroyData: false,
  surveys: 'pr',
  blsRoot: BLS_ROOT,
  // A day between scheduled runs, plus two hours for a slow run.
  heartbeatHours: 26,
}

const SCHEDULE_PATTERN = /^(cron|rate)\(.+\)$/
// CloudWatch evaluates at most 7 days of hourly periods.
const MAX_HEARTBEAT_HOURS = 168

/**
 * Settings from context values, which arrive as strings from `-c` and as JSON values from cdk.json.
 * An empty value counts as unset, so a workflow can pass `-c key=$VAR` with the variable unset.
 */
export function settingsFromContext(node: Pick<Node, 'tryGetContext'>): DataquestSettings {
  const read = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key)
    return value === undefined || value === '' ? undefined : String(value)
  }
  const wholeNumber = (key: string, fallback: number, max: number, example: string): number => {
    const value = read(key) ?? String(fallback)
    if (!/^[1-9]\d*$/.test(value) || Number(value) > max) throw new Error(`context ${key}=${value} is not a whole number from 1 to ${max}: use e.g. ${example}`)
    return Number(value)
  }

  const schedule = read(CONTEXT.schedule) ?? DEFAULT_SETTINGS.schedule
  if (!SCHEDULE_PATTERN.test(schedule)) {
    throw new Error(`context ${CONTEXT.schedule}=${schedule} is not a schedule expression: use e.g. "cron(0 8 * * ? *)" or "rate(12 hours)"`)
  }

  const noncurrentVersionDays = wholeNumber(CONTEXT.noncurrentVersionDays, DEFAULT_SETTINGS.noncurrentVersionDays, 36_500, '30')
  const heartbeatHours = wholeNumber(CONTEXT.heartbeatHours, DEFAULT_SETTINGS.heartbeatHours, MAX_HEARTBEAT_HOURS, '26 for a daily schedule')

  const removal = read(CONTEXT.removalPolicy) ?? 'retain'
  if (removal !== 'retain' && removal !== 'destroy') {
    throw new Error(`context ${CONTEXT.removalPolicy}=${removal} is unknown: use retain (the default) or destroy`)
  }

  const alarmEmail = read(CONTEXT.alarmEmail)
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) {
    throw new Error(`context ${CONTEXT.alarmEmail}=${alarmEmail} is not an e-mail address: use e.g. ops@example.com`)
  }

  // Parsed as --survey and the fetch Lambda parse it, so a list the Lambda would refuse fails the synth.
  let surveys: string
  try {
    const codes = parseSurveyList(read(CONTEXT.surveys) ?? DEFAULT_SETTINGS.surveys)
    surveys = codes === 'all' ? codes : codes.join(',')
  } catch {
    throw new Error(`context ${CONTEXT.surveys}=${read(CONTEXT.surveys)} is not a list of BLS survey codes: use e.g. pr,cu,ce or all`)
  }

  const blsRoot = read(CONTEXT.blsRoot) ?? DEFAULT_SETTINGS.blsRoot
  if (!/^https?:\/\/[^\s]+\/$/.test(blsRoot)) {
    throw new Error(`context ${CONTEXT.blsRoot}=${blsRoot} is not a directory URL: use e.g. ${BLS_ROOT} (with the trailing slash)`)
  }

  return {
    schedule,
    noncurrentVersionDays,
    destroyData: removal === 'destroy',
    surveys,
    blsRoot,
    heartbeatHours,
    ...(alarmEmail ? {alarmEmail} : {}),
  }
}
