import type {Node} from 'constructs'

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
}

export const CONTEXT = {
  schedule: 'dataquest:schedule',
  noncurrentVersionDays: 'dataquest:noncurrentVersionDays',
  removalPolicy: 'dataquest:removalPolicy',
  alarmEmail: 'dataquest:alarmEmail',
} as const

export const DEFAULT_SETTINGS: DataquestSettings = {schedule: 'cron(0 8 * * ? *)', noncurrentVersionDays: 30, destroyData: false}

const SCHEDULE_PATTERN = /^(cron|rate)\(.+\)$/

/** Settings from context values, which arrive as strings from `-c` and as JSON values from cdk.json. */
export function settingsFromContext(node: Pick<Node, 'tryGetContext'>): DataquestSettings {
  const read = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key)
    return value === undefined ? undefined : String(value)
  }

  const schedule = read(CONTEXT.schedule) ?? DEFAULT_SETTINGS.schedule
  if (!SCHEDULE_PATTERN.test(schedule)) {
    throw new Error(`context ${CONTEXT.schedule}=${schedule} is not a schedule expression: use e.g. "cron(0 8 * * ? *)" or "rate(12 hours)"`)
  }

  const days = read(CONTEXT.noncurrentVersionDays) ?? String(DEFAULT_SETTINGS.noncurrentVersionDays)
  if (!/^[1-9]\d*$/.test(days)) {
    throw new Error(`context ${CONTEXT.noncurrentVersionDays}=${days} is not a whole number of days: use e.g. 30`)
  }

  const removal = read(CONTEXT.removalPolicy) ?? 'retain'
  if (removal !== 'retain' && removal !== 'destroy') {
    throw new Error(`context ${CONTEXT.removalPolicy}=${removal} is unknown: use retain (the default) or destroy`)
  }

  const alarmEmail = read(CONTEXT.alarmEmail)
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) {
    throw new Error(`context ${CONTEXT.alarmEmail}=${alarmEmail} is not an e-mail address: use e.g. ops@example.com`)
  }

  return {schedule, noncurrentVersionDays: Number(days), destroyData: removal === 'destroy', ...(alarmEmail ? {alarmEmail} : {})}
}
