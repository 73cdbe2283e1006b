import {PutObjectCommand} from '@aws-sdk/client-s3'
import {ChangeMessageVisibilityCommand, DeleteQueueCommand, ReceiveMessageCommand} from '@aws-sdk/client-sqs'
import t, {type Test} from 'tap'

import {type ConsumeOptions, consumeQueue} from '../src/queue/consumer.js'
import {handleReportMessage, type MessageOutcome, type QueueMessage, s3ReportReader, settleMessage} from '../src/queue/report-message.js'
import {decodeEventKey, parseS3EventMessage} from '../src/queue/s3-event.js'
import {type Emulator, startEmulator} from './helpers/fauxqs.js'
import {createQueuePair, inspectQueue, s3EventBody, s3EventRecord, sendBodies, testEventBody} from './helpers/s3-events.js'
import {populationReport, seriesReport} from './helpers/sample-reports.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('parseS3EventMessage', async (t) => {
  const body = s3EventBody(
    {bucket: 'b', key: 'processed/population_stats.json'},
    {bucket: 'b', key: 'processed/my report+v2 (1).json', eventName: 'ObjectCreated:CompleteMultipartUpload'},
    {bucket: 'b', key: 'processed/old.json', eventName: 'ObjectRemoved:Delete'},
  )
  t.match(body, /my\+report%2Bv2\+\(1\)\.json/, 'the event spells the key as S3 does')
  t.same(parseS3EventMessage(body), {
    kind: 'records',
    created: [
      {eventName: 'ObjectCreated:Put', bucket: 'b', key: 'processed/population_stats.json'},
      {eventName: 'ObjectCreated:CompleteMultipartUpload', bucket: 'b', key: 'processed/my report+v2 (1).json'},
    ],
    other: ['ObjectRemoved:Delete'],
  })
  t.same(parseS3EventMessage(testEventBody('b')), {kind: 'test'})
  t.equal(decodeEventKey('a+b%2Bc%3D'), 'a b+c=')

  const invalid = (value: unknown): string => {
    const parsed = parseS3EventMessage(typeof value === 'string' ? value : JSON.stringify(value))
    return parsed.kind === 'invalid' ? parsed.reason : `not invalid: ${parsed.kind}`
  }
  t.equal(invalid('{"Records": ['), 'the body is not JSON')
  t.equal(invalid([1]), 'the body is not a JSON object')
  t.equal(invalid(null), 'the body is not a JSON object')
  t.match(invalid({Message: 'hello'}), /no Records/)
  t.match(invalid({Records: []}), /no Records/)
  t.equal(invalid({Records: ['x']}), 'Records[0] is not an object')
  t.equal(invalid({Records: [{s3: {}}]}), 'Records[0] has no eventName')
  t.match(invalid({Records: [{eventName: 'ObjectCreated:Put', s3: {bucket: {name: 'b'}}}]}), /no s3\.bucket\.name or s3\.object\.key/)
  t.match(invalid({Records: [{eventName: 'ObjectCreated:Put'}]}), /no s3\.bucket\.name/)
  const badKey = s3EventRecord({bucket: 'b', key: 'x'}) as {s3: {object: {key: string}}}
  badKey.s3.object.key = 'bad%E0%A4%A.json'
  t.match(invalid({Records: [badKey]}), /Records\[0\] has an object key that is not URL-encoded/)
  // Other event types need no object to be skipped.
  t.same(parseS3EventMessage(JSON.stringify({Records: [{eventName: 'ObjectRemoved:Delete'}]})), {kind: 'records', created: [], other: ['ObjectRemoved:Delete']})
})

async function putObject(emulator: Emulator, bucket: string, key: string, body: string): Promise<void> {
  await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: body}))
}

t.test('handleReportMessage reads every created report from S3', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const read = s3ReportReader(emulator.s3, {maxBytes: 4096})
  await putObject(emulator, bucket, 'processed/population_stats.json', JSON.stringify(populationReport()))
  await putObject(emulator, bucket, 'processed/my report+v2.json', JSON.stringify(seriesReport()))
  await putObject(emulator, bucket, 'processed/broken.json', '{"report": "population_')
  await putObject(emulator, bucket, 'processed/other.json', '{"a": 1}')
  await putObject(emulator, bucket, 'processed/huge.json', `[${'0,'.repeat(4096)}0]`)
  await putObject(emulator, bucket, 'processed/notes.txt', 'not a report')
  const handle = (body: string): Promise<MessageOutcome> => handleReportMessage({messageId: 'm-1', body}, read)

  t.same(
    await handle(
      s3EventBody(
        {bucket, key: 'processed/population_stats.json'},
        {bucket, key: 'processed/notes.txt'},
        {bucket, key: 'processed/gone.json', eventName: 'ObjectRemoved:Delete'},
        {bucket, key: 'processed/my report+v2.json', eventName: 'ObjectCreated:Copy'},
      ),
    ),
    {
      messageId: 'm-1',
      status: 'handled',
      reports: [
        {bucket, key: 'processed/population_stats.json', report: populationReport()},
        {bucket, key: 'processed/my report+v2.json', report: seriesReport()},
      ],
      skipped: ['ObjectRemoved:Delete event', `s3://${bucket}/processed/notes.txt (not a .json report)`],
    },
  )
  t.same(await handle(testEventBody(bucket)), {messageId: 'm-1', status: 'test-event'})

  const reason = async (body: string): Promise<string> => {
    const outcome = await handle(body)
    return outcome.status === 'failed' ? outcome.reason : `not failed: ${outcome.status}`
  }
  t.equal(await reason('hello'), 'malformed message: the body is not JSON')
  t.equal(await reason(s3EventBody({bucket, key: 'processed/missing.json'})), `s3://${bucket}/processed/missing.json: no such object`)
  t.equal(await reason(s3EventBody({bucket, key: 'processed/broken.json'})), `s3://${bucket}/processed/broken.json: not JSON`)
  t.match(await reason(s3EventBody({bucket, key: 'processed/other.json'})), /other\.json: not a dataquest report/)
  t.match(await reason(s3EventBody({bucket, key: 'processed/huge.json'})), /huge\.json: larger than 4096 bytes, not a report/)
  t.match(await reason(s3EventBody({bucket: 'no-such-bucket', key: 'r.json'})), /^s3:\/\/no-such-bucket\/r\.json: /)
  // One unreadable record fails the whole message, even after a readable one.
  t.match(
    await reason(s3EventBody({bucket, key: 'processed/population_stats.json'}, {bucket, key: 'processed/missing.json'})),
    /missing\.json: no such object/,
  )
})

/** A queue (with its dead-letter queue) on a fresh emulator, and consumeQueue wired to it. */
async function queueFixture(t: Test, pair: Parameters<typeof createQueuePair>[1] = {}) {
  const emulator = await startEmulator(t)
  const queue = await createQueuePair(emulator, pair)
  const read = s3ReportReader(emulator.s3)
  /** Ids of the messages handled, in order. */
  const seen: string[] = []
  const handle = async (message: QueueMessage): Promise<MessageOutcome> => {
    seen.push(message.messageId)
    return handleReportMessage(message, read)
  }
  return {
    emulator,
    queue,
    seen,
    handle,
    send: (bodies: string[]) => sendBodies(emulator, queue.queueUrl, bodies),
    sendTestEvents: (count: number) => sendBodies(emulator, queue.queueUrl, Array.from({length: count}, () => testEventBody('b'))),
    inspect: () => inspectQueue(emulator, queue.name),
    /** Any lost lease fails the test unless `onLeaseLost` is given. */
    consume: (options: Partial<ConsumeOptions>) =>
      consumeQueue({
        sqs: emulator.sqs,
        queueUrl: queue.queueUrl,
        handle,
        waitSeconds: 0,
        onLeaseLost: (messageId, reason) => t.fail(`lease lost for ${messageId}: ${reason}`),
        ...options,
      }),
  }
}

t.test('consumeQueue: deletes handled messages, keeps failed ones for the dead-letter queue', async (t) => {
  const {emulator, queue, seen, send, inspect, consume} = await queueFixture(t, {maxReceiveCount: 1})
  const bucket = await emulator.bucket()
  await putObject(emulator, bucket, 'processed/population_stats.json', JSON.stringify(populationReport()))
  await putObject(emulator, bucket, 'processed/series population.json', JSON.stringify(seriesReport()))
  const [batch, test, malformed, missing, notJson] = await send([
    s3EventBody({bucket, key: 'processed/population_stats.json'}, {bucket, key: 'processed/series population.json'}),
    testEventBody(bucket),
    '{"Records": "nope"}',
    s3EventBody({bucket, key: 'processed/missing.json'}),
    s3EventBody({bucket, key: 'raw/bls/pr/pr.series'}),
  ])

  // A lease of 4 s: long enough that the failed ones are still in flight when inspected on a loaded machine.
  const result = await consume({once: true, leaseSeconds: 4})
  t.same(seen, [batch, test, malformed, missing, notJson], 'every message handled once, in order')
  t.same(result, {
    received: 5,
    deleted: 3,
    failures: [
      {messageId: malformed, reason: 'malformed message: the body is not an S3 event notification (no Records)'},
      {messageId: missing, reason: `s3://${bucket}/processed/missing.json: no such object`},
    ],
    stoppedBy: 'empty',
  })
  const state = await inspect()
  t.same(state.ready, [], 'nothing left to receive now')
  t.same(state.inflight.map((m) => m.messageId).sort(), [malformed, missing].sort(), 'the failed messages stay on the queue')

  // Once their lease ends, the redrive policy (maxReceiveCount 1) moves them to the dead-letter queue.
  await sleep(4100)
  t.same(await consume({once: true}), {received: 0, deleted: 0, failures: [], stoppedBy: 'empty'})
  t.same((await inspectQueue(emulator, queue.dlqName)).ready.sort(), [malformed, missing].sort())
})

t.test('consumeQueue: a message whose handling throws is counted; the rest of the batch is handled', async (t) => {
  const {seen, send, inspect, consume, handle} = await queueFixture(t)
  const [first, crashing, last] = await send([testEventBody('b'), testEventBody('b'), testEventBody('b')])
  const result = await consume({
    once: true,
    // As `dataquest consume` wires it: settleMessage turns a crash into the message's failure.
    handle: (message) =>
      settleMessage(message, async (received) => {
        const outcome = await handle(received)
        // A report too big to render, a bug: any exception, thrown after part of the work was done.
        if (received.messageId === crashing) throw new RangeError('Maximum call stack size exceeded')
        return outcome
      }, () => {}),
  })
  t.same(seen, [first, crashing, last], 'the message after the crash was handled too')
  t.same(result, {received: 3, deleted: 2, failures: [{messageId: crashing, reason: 'could not be handled: RangeError: Maximum call stack size exceeded'}], stoppedBy: 'empty'})
  t.same((await inspect()).inflight.map((m) => m.messageId), [crashing], 'it stays on the queue for the dead-letter queue')
})

t.test('settleMessage shows a crash as the message’s failure, control characters removed', async (t) => {
  const shown: MessageOutcome[] = []
  const outcome = await settleMessage({messageId: 'm-9', body: '{}'}, async () => {
    throw new Error('bad \u001b[2Jkey\u202e')
  }, (o) => {
    shown.push(o)
  })
  t.same(outcome, {messageId: 'm-9', status: 'failed', reason: 'could not be handled: Error: bad key'})
  t.same(shown, [outcome])
  const thrownString = await settleMessage({messageId: 'm-10', body: '{}'}, async () => Promise.reject('odd'), () => {
    throw new Error('a renderer that fails on the failure line too is not caught twice')
  }).catch((error: Error) => error.message)
  t.match(thrownString, /not caught twice/)
  const rendered = await settleMessage({messageId: 'm-11', body: '{}'}, async () => ({messageId: 'm-11', status: 'test-event'}), (o) => {
    if (o.status !== 'failed') throw new RangeError('Maximum call stack size exceeded')
  })
  t.same(rendered, {messageId: 'm-11', status: 'failed', reason: 'could not be handled: RangeError: Maximum call stack size exceeded'}, 'a crash while printing fails the message')
})

t.test('consumeQueue: --max-messages stops after N and receives no more than N', async (t) => {
  const {seen, sendTestEvents, inspect, consume} = await queueFixture(t)
  const ids = await sendTestEvents(5)
  t.same(await consume({maxMessages: 3}), {received: 3, deleted: 3, failures: [], stoppedBy: 'max-messages'})
  t.same(seen, ids.slice(0, 3))
  t.same(await inspect(), {ready: ids.slice(3), inflight: []}, 'the rest were never received')
})

t.test('consumeQueue: a stop signal mid-batch finishes the messages in hand and loses nothing', async (t) => {
  const {seen, handle, sendTestEvents, inspect, consume} = await queueFixture(t)
  const ids = await sendTestEvents(12)
  const stop = new AbortController()
  const stopping = async (message: QueueMessage): Promise<MessageOutcome> => {
    if (seen.length === 0) stop.abort()
    return handle(message)
  }
  t.same(await consume({handle: stopping, signal: stop.signal}), {received: 10, deleted: 10, failures: [], stoppedBy: 'signal'})
  t.same(seen, ids.slice(0, 10), 'the whole batch in hand was finished')
  t.same(await inspect(), {ready: ids.slice(10), inflight: []}, 'the messages not received are still there, never received')
})

t.test('consumeQueue: a stop signal ends a long poll at once', async (t) => {
  const {consume} = await queueFixture(t)
  const stop = new AbortController()
  setTimeout(() => stop.abort(), 200)
  const started = Date.now()
  t.same(await consume({signal: stop.signal, waitSeconds: 20}), {received: 0, deleted: 0, failures: [], stoppedBy: 'signal'})
  t.ok(Date.now() - started < 5000, 'did not wait out the 20-second poll')
})

t.test('consumeQueue: once mode ends at the first empty receive, after waiting it out', async (t) => {
  const {consume} = await queueFixture(t)
  const started = Date.now()
  // The lease timer ticks (every third of a second) while nothing is in hand: nothing to renew.
  t.same(await consume({once: true, waitSeconds: 1, leaseSeconds: 1}), {received: 0, deleted: 0, failures: [], stoppedBy: 'empty'})
  t.ok(Date.now() - started >= 900, 'long-polled for the wait given')
})

t.test('consumeQueue: the lease of messages in hand is renewed while handling is slow', async (t) => {
  const {emulator, queue, handle, sendTestEvents, inspect, consume} = await queueFixture(t)
  const [slow, waiting] = await sendTestEvents(2)
  const observed: {deadlines: number[]; stolen: number} = {deadlines: [], stolen: 0}
  const slowly = async (message: QueueMessage): Promise<MessageOutcome> => {
    if (message.messageId === slow) {
      // Handling takes two lease lengths; meanwhile another consumer must get nothing. (Leases of
      // 3 s, renewed each second: a shorter lease lapsed when a loaded machine stalled the timers.)
      for (let i = 0; i < 6; i++) {
        await sleep(1000)
        observed.deadlines.push(...(await inspect()).inflight.map((m) => m.visibilityDeadline - Date.now()))
        const {Messages = []} = await emulator.sqs.send(new ReceiveMessageCommand({QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0}))
        observed.stolen += Messages.length
      }
    }
    return handle(message)
  }
  const started = Date.now()
  t.same(await consume({handle: slowly, once: true, leaseSeconds: 3}), {received: 2, deleted: 2, failures: [], stoppedBy: 'empty'})
  t.ok(Date.now() - started >= 6000, 'handling outlasted the 3-second lease twice')
  t.equal(observed.stolen, 0, 'no other consumer received a message in hand')
  t.equal(observed.deadlines.length, 12, 'both messages stayed in flight throughout')
  t.ok(observed.deadlines.every((left) => left > 0), 'their leases never ran out')
  t.same((await inspect()).inflight, [], `${slow} and ${waiting} were deleted`)
})

/** Handlers that take a while (past a lease renewal), after doing something to the queue first. */
const afterRenewal =
  (before: () => Promise<unknown>, status: 'failed' | 'test-event') =>
  async (message: QueueMessage): Promise<MessageOutcome> => {
    await before()
    await sleep(700)
    return status === 'failed' ? {messageId: message.messageId, status, reason: 'gave up'} : {messageId: message.messageId, status}
  }

t.test('consumeQueue: a lease that cannot be renewed is reported', async (t) => {
  const {emulator, queue, sendTestEvents, inspect, consume} = await queueFixture(t)
  const [id] = await sendTestEvents(1)
  const lost: [string, string][] = []
  // Someone else releases the message, so our receipt handle no longer holds it.
  const release = async () => {
    const [held] = (await inspect()).inflight
    await emulator.sqs.send(new ChangeMessageVisibilityCommand({QueueUrl: queue.queueUrl, ReceiptHandle: held!.receiptHandle, VisibilityTimeout: 0}))
  }
  const result = await consume({
    handle: afterRenewal(release, 'failed'),
    maxMessages: 1,
    leaseSeconds: 1,
    onLeaseLost: (messageId, reason) => lost.push([messageId, reason]),
  })
  t.same(result.failures, [{messageId: id, reason: 'gave up'}])
  t.ok(lost.length > 0, 'the lost lease was reported')
  t.ok(lost.every(([messageId, reason]) => messageId === id && /ReceiptHandleIsInvalid/.test(reason)), JSON.stringify(lost))
  t.same((await inspect()).ready, [id])
})

t.test('consumeQueue: a queue that goes away mid-batch ends the run and is reported', async (t) => {
  const {emulator, queue, sendTestEvents, consume} = await queueFixture(t)
  const [id] = await sendTestEvents(1)
  const lost: [string, string][] = []
  const deleteQueue = () => emulator.sqs.send(new DeleteQueueCommand({QueueUrl: queue.queueUrl}))
  await t.rejects(
    consume({handle: afterRenewal(deleteQueue, 'test-event'), leaseSeconds: 1, onLeaseLost: (messageId, reason) => lost.push([messageId, reason])}),
    {name: 'QueueDoesNotExist'},
    'a delete error ends the run',
  )
  t.ok(lost.length > 0)
  t.ok(lost.every(([messageId, reason]) => messageId === id && /queue .*does not exist/i.test(reason)), JSON.stringify(lost))
  await t.rejects(consume({}), {name: 'QueueDoesNotExist'}, 'a receive error ends the run')
})
