import {isRecord} from '../util/is-record.js'

/** An object named by an S3 event record; the key is decoded (as S3 stores it, not as the event spells it). */
export interface S3ObjectRef {
  bucket: string
  key: string
}

export interface S3EventRecord extends S3ObjectRef {
  /** As the record names it, e.g. `ObjectCreated:Put`. */
  eventName: string
}

/**
 * What an SQS message body from an S3 event notification holds:
 * - `test`: the `s3:TestEvent` S3 sends when a notification is configured;
 * - `records`: the `ObjectCreated:*` records to handle (`created`), and the names of the other event types
 *   it holds (`other`, to be skipped: a consumer of created reports has nothing to do for them);
 * - `invalid`: not an S3 event notification, with the reason.
 */
export type S3EventMessage =
  | {kind: 'test'}
  | {kind: 'records'; created: S3EventRecord[]; other: string[]}
  | {kind: 'invalid'; reason: string}


const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== ''

/** Event keys are URL-encoded with `+` for a space (S3 event notification format). */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replaceAll('+', ' '))
}

/** One record: created (with its object), another event type (its name), or the reason it cannot be read. */
function readRecord(record: unknown, index: number): {created: S3EventRecord} | {other: string} | {invalid: string} {
  const where = `Records[${index}]`
  if (!isRecord(record)) return {invalid: `${where} is not an object`}
  const {eventName, s3} = record
  if (!nonEmptyString(eventName)) return {invalid: `${where} has no eventName`}
  if (!eventName.startsWith('ObjectCreated:')) return {other: eventName}
  const bucket = isRecord(s3) && isRecord(s3.bucket) ? s3.bucket.name : undefined
  const key = isRecord(s3) && isRecord(s3.object) ? s3.object.key : undefined
  if (!nonEmptyString(bucket) || !nonEmptyString(key)) return {invalid: `${where} (${eventName}) has no s3.bucket.name or s3.object.key`}
  try {
    return {created: {eventName, bucket, key: decodeEventKey(key)}}
  } catch {
    return {invalid: `${where} has an object key that is not URL-encoded: ${JSON.stringify(key)}`}
  }
}

/** Parse an SQS message body holding an S3 event notification. Pure: decides, reads nothing. */
export function parseS3EventMessage(body: string): S3EventMessage {
  let event: unknown
  try {
    event = JSON.parse(body)
  } catch {
    return {kind: 'invalid', reason: 'the body is not JSON'}
  }
  if (!isRecord(event)) return {kind: 'invalid', reason: 'the body is not a JSON object'}
  if (event.Event === 's3:TestEvent') return {kind: 'test'}
  if (!Array.isArray(event.Records) || event.Records.length === 0) {
    return {kind: 'invalid', reason: 'the body is not an S3 event notification (no Records)'}
  }
  const created: S3EventRecord[] = []
  const other: string[] = []
  for (const [index, raw] of event.Records.entries()) {
    const record = readRecord(raw, index)
    if ('invalid' in record) return {kind: 'invalid', reason: record.invalid}
    if ('created' in record) created.push(record.created)
    else other.push(record.other)
  }
  return {kind: 'records', created, other}
}
