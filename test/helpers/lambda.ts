import type {Message} from '@aws-sdk/client-sqs'
import type {Test} from 'tap'

import type {SqsEvent} from '../../deploy/handlers/logger.js'
import {setEnv} from './cli.js'
import type {Emulator} from './fauxqs.js'
import {startUpstream, type UpstreamServer} from './upstream.js'

export interface Invocation<T> {
  result?: T
  error?: unknown
  /** console.log/info lines (level INFO), console.warn/error lines (WARN, ERROR); an object as its JSON. */
  out: string[]
  err: string[]
  /** Every console call as Lambda's JSON log format writes it: {timestamp, level, requestId, message}. */
  events: {level: string; message: unknown}[]
}

const LEVELS = {log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR'} as const

/**
 * Call a Lambda handler in this process as the runtime would: with these environment variables
 * (undefined removes one) and its console output captured (Lambda sends it to CloudWatch Logs).
 */
export async function invoke<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<Invocation<T>> {
  const out: string[] = []
  const err: string[] = []
  const events: Invocation<T>['events'] = []
  const saved = {...console}
  for (const [method, level] of Object.entries(LEVELS) as [keyof typeof LEVELS, string][]) {
    console[method] = (...args: unknown[]) => {
      // One object stays structured in the JSON log format; anything else is text.
      events.push({level, message: args.length === 1 && typeof args[0] === 'object' ? args[0] : args.join(' ')})
      const line = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')
      ;(level === 'INFO' ? out : err).push(line)
    }
  }
  const savedEnv = setEnv(env)
  try {
    return {result: await fn(), out, err, events}
  } catch (caught) {
    return {error: caught, out, err, events}
  } finally {
    Object.assign(console, saved)
    setEnv(savedEnv)
  }
}

/** Messages received from a queue, shaped as the event Lambda's SQS event source mapping delivers. */
export const lambdaSqsEvent = (messages: Message[], queueName: string): SqsEvent & {Records: Record<string, unknown>[]} => ({
  Records: messages.map((m) => ({
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes: m.Attributes ?? {},
    messageAttributes: {},
    md5OfBody: m.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
    awsRegion: 'us-east-1',
  })),
})

// A small data file of the real layout: padded tab-separated columns, CRLF, a trailing footnote column.
const DATA_FILE = [
  'series_id        \tyear\tperiod\t       value\tfootnote_codes',
  ...[2013, 2014, 2015, 2016, 2017, 2018].flatMap((year, i) => [
    `PRS30006032     \t${year}\tQ01\t      ${(i * 1.5).toFixed(1)}\t`,
    `PRS30006032     \t${year}\tQ02\t      ${(i + 0.25).toFixed(2)}\t`,
  ]),
].join('\r\n')

/** The local upstream serving two BLS files (a data file of series PRS30006032, 2013–2018) and the population API. */
export async function serveSmallUpstream(t: Test): Promise<UpstreamServer> {
  const upstream = await startUpstream(t)
  upstream.setFile('pr.data.0.Current', DATA_FILE)
  upstream.setFile('pr.txt', 'about the pr database\r\n')
  return upstream
}

/** The fetch function's environment as the stack sets it, pointed at the emulator and the local upstream. */
export const fetchEnv = (emulator: Emulator, upstream: UpstreamServer, raw: string): Record<string, string> => ({
  AWS_ENDPOINT_URL: emulator.endpoint,
  DATAQUEST_RAW: `s3://${raw}/`,
  DATAQUEST_CONTACT: 'ops@example.com',
  DATAQUEST_VERSION: '9.9.9',
  DATAQUEST_BLS_URL: upstream.blsUrl,
  DATAQUEST_BLS_ROOT: upstream.rootUrl,
  DATAQUEST_POPULATION_URL: upstream.populationUrl,
})
