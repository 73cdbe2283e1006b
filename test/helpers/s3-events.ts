import {CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand} from '@aws-sdk/client-sqs'

import type {Emulator} from './fauxqs.js'

/** How S3 spells a key in an event: URL-encoded, `+` for a space, `/` kept. */
export const encodeEventKey = (key: string): string =>
  key.split('/').map((segment) => encodeURIComponent(segment).replaceAll('%20', '+')).join('/')

export interface EventObject {
  bucket: string
  /** The key as stored; encoded here as S3 does. */
  key: string
  eventName?: string
}

/** One record with the layout of the S3 event notification documentation (eventVersion 2.1). */
export function s3EventRecord({bucket, key, eventName = 'ObjectCreated:Put'}: EventObject): Record<string, unknown> {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2024-06-06T12:30:00.000Z',
    eventName,
    userIdentity: {principalId: 'AWS:AIDAEXAMPLE'},
    requestParameters: {sourceIPAddress: '127.0.0.1'},
    responseElements: {'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD'},
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'processed-reports',
      bucket: {name: bucket, ownerIdentity: {principalId: 'A3NL1KOZZKEXAMPLE'}, arn: `arn:aws:s3:::${bucket}`},
      object: {key: encodeEventKey(key), size: 1024, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0055AED6DCD90281E5'},
    },
  }
}

/** An SQS message body as S3 sends it for these objects. */
export const s3EventBody = (...objects: EventObject[]): string => JSON.stringify({Records: objects.map(s3EventRecord)})

/** The message S3 sends when a notification is configured. */
export const testEventBody = (bucket: string): string =>
  JSON.stringify({Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-06-06T12:00:00.000Z', Bucket: bucket, RequestId: '5582815E1AEA5ADF', HostId: 'EXAMPLE'})

export interface QueuePair {
  name: string
  queueUrl: string
  dlqName: string
  dlqUrl: string
}

let counter = 0

/** A queue with a dead-letter queue behind it, as deploy/ configures them. */
export async function createQueuePair(emulator: Emulator, {maxReceiveCount = 3, visibilityTimeout = 30} = {}): Promise<QueuePair> {
  const name = `reports-${process.pid}-${++counter}`
  const dlqName = `${name}-dlq`
  const {QueueUrl: dlqUrl} = await emulator.sqs.send(new CreateQueueCommand({QueueName: dlqName}))
  const {Attributes} = await emulator.sqs.send(new GetQueueAttributesCommand({QueueUrl: dlqUrl, AttributeNames: ['QueueArn']}))
  const {QueueUrl: queueUrl} = await emulator.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeout),
        RedrivePolicy: JSON.stringify({deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount}),
      },
    }),
  )
  return {name, queueUrl: queueUrl!, dlqName, dlqUrl: dlqUrl!}
}

/** Send bodies in order (one batch per ten); returns their message ids in the same order. */
export async function sendBodies(emulator: Emulator, queueUrl: string, bodies: string[]): Promise<string[]> {
  const ids: string[] = []
  for (let start = 0; start < bodies.length; start += 10) {
    const entries = bodies.slice(start, start + 10).map((MessageBody, i) => ({Id: `m${start + i}`, MessageBody}))
    const {Successful = []} = await emulator.sqs.send(new SendMessageBatchCommand({QueueUrl: queueUrl, Entries: entries}))
    for (const entry of entries) ids.push(Successful.find((s) => s.Id === entry.Id)!.MessageId!)
  }
  return ids
}

export interface QueueState {
  /** Ids of messages another consumer could receive now. */
  ready: string[]
  /** Received and not deleted, with when they become visible again (ms since epoch) and receive count. */
  inflight: {messageId: string; receiptHandle: string; visibilityDeadline: number; receiveCount: number}[]
}

/** What is on a queue, read without receiving (fauxqs's inspection endpoint). */
export async function inspectQueue(emulator: Emulator, name: string): Promise<QueueState> {
  const response = await fetch(`${emulator.endpoint}/_fauxqs/queues/${name}`)
  if (!response.ok) throw new Error(`inspect ${name}: HTTP ${response.status}`)
  const {messages} = (await response.json()) as {
    messages: {
      ready: {messageId: string}[]
      inflight: {message: {messageId: string; approximateReceiveCount: number}; receiptHandle: string; visibilityDeadline: number}[]
    }
  }
  return {
    ready: messages.ready.map((m) => m.messageId),
    inflight: messages.inflight.map(({message, receiptHandle, visibilityDeadline}) => ({
      messageId: message.messageId,
      receiptHandle,
      visibilityDeadline,
      receiveCount: message.approximateReceiveCount,
    })),
  }
}
