import type {S3Client} from '@aws-sdk/client-s3'

import {type ReadReportOptions, readReport, type Report} from '../reports/index.js'
import {S3Store} from '../stores/s3.js'
import {NotFoundError, type Store} from '../stores/store.js'
import {sanitize} from '../util/sanitize.js'
import {parseS3EventMessage, type S3ObjectRef} from './s3-event.js'

/** The part of an SQS message a handler needs; a Lambda SQS record has the same two fields. */
export interface QueueMessage {
  messageId: string
  body: string
}

export interface ReceivedReport extends S3ObjectRef {
  report: Report
}

/**
 * What became of one message:
 * - `handled`: every created object was read; `skipped` says which records needed nothing (other
 *   event types, objects that are not `.json` reports); the message may be deleted;
 * - `test-event`: the `s3:TestEvent`, acknowledged (may be deleted);
 * - `failed`: malformed body, missing object or unreadable report; the message must stay on the queue.
 */
export type MessageOutcome =
  | {messageId: string; status: 'handled'; reports: ReceivedReport[]; skipped: string[]}
  | {messageId: string; status: 'test-event'}
  | {messageId: string; status: 'failed'; reason: string}

/** Reads the report an object holds; throws (with a one-line reason) when it cannot. */
export type ReportReader = (object: S3ObjectRef) => Promise<Report>

/** For display: a key comes from the event, so it is cleaned of control characters. */
export const s3Url = ({bucket, key}: S3ObjectRef): string => sanitize(`s3://${bucket}/${key}`)

/** Which created objects are reports, and how a skipped one is described (`not <description>`). */
export interface ReportKeys {
  test: (key: string) => boolean
  description: string
}

/** Only `.json` objects are reports; anything else written to the bucket is not ours to print. */
export const JSON_REPORT_KEYS: ReportKeys = {test: (key) => key.toLowerCase().endsWith('.json'), description: 'a .json report'}

/**
 * Handle one message of S3 event notifications: read every created report it names. The reports
 * are returned, not printed, so a CLI and a Lambda can render them their own way; the message's
 * fate (delete or keep) follows from `status`.
 */
export async function handleReportMessage(message: QueueMessage, readReport: ReportReader, keys: ReportKeys = JSON_REPORT_KEYS): Promise<MessageOutcome> {
  const {messageId} = message
  const event = parseS3EventMessage(message.body)
  if (event.kind === 'invalid') return {messageId, status: 'failed', reason: sanitize(`malformed message: ${event.reason}`)}
  if (event.kind === 'test') return {messageId, status: 'test-event'}
  const skipped = event.other.map((eventName) => sanitize(`${eventName} event`))
  const reports: ReceivedReport[] = []
  for (const {bucket, key} of event.created) {
    if (!keys.test(key)) {
      skipped.push(`${s3Url({bucket, key})} (not ${keys.description})`)
      continue
    }
    try {
      reports.push({bucket, key, report: await readReport({bucket, key})})
    } catch (error) {
      return {messageId, status: 'failed', reason: `${s3Url({bucket, key})}: ${sanitize((error as Error).message)}`}
    }
  }
  return {messageId, status: 'handled', reports, skipped}
}

/** A message whose handling threw: the exception in one line, as its `failed` outcome. */
const crashed = (messageId: string, error: unknown): MessageOutcome => ({
  messageId,
  status: 'failed',
  reason: sanitize(`could not be handled: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`),
})

/**
 * Handle one message and show its outcome. An exception on the way (a report too big to render, a
 * bug) becomes the message's `failed` outcome, shown as such: one message never stops the rest of
 * a batch, and it stays on the queue for the dead-letter queue.
 */
export async function settleMessage(
  message: QueueMessage,
  handle: (message: QueueMessage) => Promise<MessageOutcome>,
  show: (outcome: MessageOutcome) => void | Promise<void>,
): Promise<MessageOutcome> {
  try {
    const outcome = await handle(message)
    await show(outcome)
    return outcome
  } catch (error) {
    const outcome = crashed(message.messageId, error)
    await show(outcome)
    return outcome
  }
}

/**
 * A ReportReader over S3: readReport (the reader `dataquest report` uses too) through an S3Store
 * per bucket, sharing the client, so consume sees the same key rules and not-found signal as every
 * other command.
 */
export function s3ReportReader(client: S3Client, options: ReadReportOptions = {}): ReportReader {
  const stores = new Map<string, Store>()
  return async ({bucket, key}) => {
    let store = stores.get(bucket)
    if (!store) stores.set(bucket, (store = new S3Store(client, `s3://${bucket}/`)))
    try {
      return await readReport(store, key, options)
    } catch (error) {
      throw error instanceof NotFoundError ? new Error('no such object') : error
    }
  }
}
