import {spawn} from 'node:child_process'
import {once} from 'node:events'
import path from 'node:path'

import {PutObjectCommand} from '@aws-sdk/client-s3'
import t from 'tap'

import Consume from '../src/commands/consume.js'
import type {Report} from '../src/reports/index.js'
import {renderReport} from '../src/render/reports.js'
import {projectRoot, runCommand} from './helpers/cli.js'
import {type Emulator, startEmulator} from './helpers/fauxqs.js'
import {createQueuePair, inspectQueue, s3EventBody, sendBodies, testEventBody} from './helpers/s3-events.js'
import {populationReport, seriesReport} from './helpers/sample-reports.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function putReport(emulator: Emulator, bucket: string, key: string, report: Report | string): Promise<void> {
  const body = typeof report === 'string' ? report : JSON.stringify(report)
  await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: body}))
}

const jsonLines = (stdout: string): unknown[] => stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))

t.test('consume --once --format json: prints each report as one line, keeps what failed', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  await putReport(emulator, bucket, 'processed/population_stats.json', populationReport())
  await putReport(emulator, bucket, 'processed/series population.json', seriesReport())
  await putReport(emulator, bucket, 'processed/broken.json', '{"report": "series_population", "rows": 3}')
  const queue = await createQueuePair(emulator)
  const [batch, test, malformed, missing, notJson, unreadable] = await sendBodies(emulator, queue.queueUrl, [
    s3EventBody({bucket, key: 'processed/population_stats.json'}, {bucket, key: 'processed/series population.json'}),
    testEventBody(bucket),
    'not json at all',
    s3EventBody({bucket, key: 'processed/missing.json'}),
    s3EventBody({bucket, key: 'raw/datausa/population.csv'}),
    s3EventBody({bucket, key: 'processed/broken.json'}),
  ])

  const result = await runCommand(Consume, ['--queue', queue.queueUrl, '--endpoint', emulator.endpoint, '--once', '--wait', '0', '--format', 'json'])
  t.equal(result.exitCode, 1, 'a failed message makes --once exit non-zero')
  t.same(jsonLines(result.stdout), [populationReport(), seriesReport()], 'one JSON line per report, nothing else on stdout')
  t.match(result.stderr, `message ${test}: s3:TestEvent acknowledged`)
  t.match(result.stderr, `message ${malformed} left on the queue: malformed message: the body is not JSON`)
  t.match(result.stderr, `message ${missing} left on the queue: s3://${bucket}/processed/missing.json: no such object`)
  t.match(result.stderr, `message ${notJson}: skipped s3://${bucket}/raw/datausa/population.csv (not a .json report)`)
  t.match(result.stderr, new RegExp(`message ${unreadable} left on the queue: s3://${bucket}/processed/broken\\.json: not a valid series_population report`))
  t.match(result.stderr, '6 message(s) received, 3 deleted, 3 left on the queue')
  t.match(result.stderr, '3 message(s) could not be handled')
  t.match(result.stderr, `message ${batch}: s3://${bucket}/processed/series population.json`)

  const state = await inspectQueue(emulator, queue.name)
  t.same(state.ready, [])
  t.same(state.inflight.map((m) => m.messageId).sort(), [malformed, missing, unreadable].sort(), 'exactly the failed messages are still on the queue')
})

t.test('consume --format table: the report renderer, the queue from DATAQUEST_QUEUE_URL, --max-messages', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  await putReport(emulator, bucket, 'processed/population_stats.json', populationReport())
  const queue = await createQueuePair(emulator)
  const body = s3EventBody({bucket, key: 'processed/population_stats.json'})
  const ids = await sendBodies(emulator, queue.queueUrl, [body, body, body])

  const result = await runCommand(Consume, ['--max-messages', '2', '--wait', '0'], {DATAQUEST_QUEUE_URL: queue.queueUrl, AWS_ENDPOINT_URL: emulator.endpoint})
  t.equal(result.exitCode, 0, 'exit 0')
  const table = await renderReport(populationReport(), 'table', {color: false})
  t.equal(result.stdout, `${table}\n\n${table}\n\n`, 'printed with the same renderer as `dataquest report`')
  t.match(result.stderr, `message ${ids[0]}: s3://${bucket}/processed/population_stats.json`)
  t.match(result.stderr, '2 message(s) received, 2 deleted, 0 left on the queue')
  t.same((await inspectQueue(emulator, queue.name)).ready, [ids[2]], 'the third was never received')
})

t.test('consume without a queue says how to give one', async (t) => {
  const result = await runCommand(Consume, ['--once'], {DATAQUEST_QUEUE_URL: undefined})
  t.equal(result.exitCode, 2)
  t.match(result.stderr, 'no queue to consume: pass --queue URL or set DATAQUEST_QUEUE_URL')
})

t.test('consume stops on SIGTERM during a long poll', async (t) => {
  const emulator = await startEmulator(t)
  const queue = await createQueuePair(emulator)
  const listeners = process.listenerCount('SIGTERM')
  const started = Date.now()
  const running = runCommand(Consume, ['--queue', queue.queueUrl, '--endpoint', emulator.endpoint])
  while (process.listenerCount('SIGTERM') === listeners) await sleep(10)
  await sleep(200)
  process.emit('SIGTERM', 'SIGTERM')
  const result = await running
  t.equal(result.exitCode, 0, 'exit 0')
  t.match(result.stderr, 'SIGTERM: finishing the messages in hand, then stopping')
  t.ok(Date.now() - started < 10_000, 'did not wait out the 20-second poll')
  t.equal(process.listenerCount('SIGTERM'), listeners, 'its signal handlers are gone')
})

t.test('bin/dev.js consume: a real SIGTERM mid-stream loses nothing', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  await putReport(emulator, bucket, 'processed/series_population.json', seriesReport())
  const queue = await createQueuePair(emulator)
  const sent = await sendBodies(
    emulator,
    queue.queueUrl,
    Array.from({length: 25}, () => s3EventBody({bucket, key: 'processed/series_population.json'})),
  )
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bin/dev.js'), 'consume', '--format', 'json', '--wait', '1'], {
    cwd: projectRoot,
    // No coverage from the child: it runs the sources through tsx, whose coverage would not map onto tap's.
    env: {...process.env, DATAQUEST_QUEUE_URL: queue.queueUrl, AWS_ENDPOINT_URL: emulator.endpoint, _TAPJS_PROCESSINFO_COVERAGE_: '0'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    // The first report is out: the rest of its batch is in hand.
    if (stdout.includes('\n') && child.exitCode === null && !child.killed) child.kill('SIGTERM')
  })
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'exit 0 after finishing the batch in hand')
  t.match(stderr, 'SIGTERM: finishing the messages in hand, then stopping')
  const printed = jsonLines(stdout)
  t.ok(printed.length >= 1, 'it was stopped after printing')
  t.ok(printed.every((report) => JSON.stringify(report) === JSON.stringify(seriesReport())), 'every line is a whole report')
  const state = await inspectQueue(emulator, queue.name)
  const left = [...state.ready, ...state.inflight.map((m) => m.messageId)]
  t.equal(printed.length + left.length, sent.length, 'every message was printed (and deleted) or is still on the queue')
  t.match(stderr, `${sent.length - left.length} deleted, 0 left on the queue`)
})
