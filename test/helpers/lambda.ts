import type {Message} from '@aws-sdk/client-sqs'

import type {SqsEvent} from '../../deploy/handlers/logger.js'

export interface Invocation<T> {
  result?: T
  error?: unknown
  /** console.log lines, console.error lines. */
  out: string[]
  err: string[]
}

/**
 * Call a Lambda handler in this process as the runtime would: with these environment variables
 * (undefined removes one) and its console output captured (Lambda sends it to CloudWatch Logs).
 */
export async function invoke<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<Invocation<T>> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
  const set = (values: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
  const out: string[] = []
  const err: string[] = []
  const {log, error} = console
  console.log = (...args: unknown[]) => out.push(args.join(' '))
  console.error = (...args: unknown[]) => err.push(args.join(' '))
  set(env)
  try {
    return {result: await fn(), out, err}
  } catch (caught) {
    return {error: caught, out, err}
  } finally {
    console.log = log
    console.error = error
    set(saved)
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
