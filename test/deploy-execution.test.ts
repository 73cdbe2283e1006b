// The synthesized state machine, executed: the definition from the template run by an ASL
// interpreter (aws-local-stepfunctions), each Task running the function's real bundle in a process
// of its own with the environment the template gives it, against fauxqs and the local upstream
// serving the vendored BLS and DataUSA snapshot. docs/deploy.md says what this proves and what not.
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {ListObjectsV2Command} from '@aws-sdk/client-s3'
import {ReceiveMessageCommand} from '@aws-sdk/client-sqs'
import t from 'tap'

import {createApp, STACK_NAME} from '../deploy/create-app.js'
import {CONTEXT} from '../deploy/settings.js'
import {REPORT_NAMES, reportKey} from '../src/reports/types.js'
import {PAGE_KEY} from '../src/reports/store.js'
import {startEmulator} from './helpers/fauxqs.js'
import {lambdaSqsEvent} from './helpers/lambda.js'
import {createQueuePair, s3EventBody, sendBodies} from './helpers/s3-events.js'
import {
  bundleOf,
  environmentOf,
  functionArn,
  functionIdOf,
  isWrite,
  type LambdaRun,
  requestsTo,
  runBundle,
  stateMachineDefinition,
  synthesizedTemplate,
  taskResources,
  type Template,
  tempDir,
} from './helpers/stack-execution.js'
import {FIXTURES, serveSnapshot, startUpstream} from './helpers/upstream.js'

const NODE_MAJOR = Number(process.versions.node.split('.')[0])
const CONTACT = 'ops@example.com'
const REPORT_KEYS = REPORT_NAMES.map(reportKey).sort()
// Transform writes each report as JSON, CSV and Parquet, and one page; only the JSON files notify.
const PROCESSED_KEYS = [...REPORT_NAMES.flatMap((name) => [reportKey(name), `${name}.csv`, `${name}.parquet`]), PAGE_KEY].sort()

if (NODE_MAJOR < 22) {
  t.plan(0, `aws-local-stepfunctions needs Node >= 22 (this is ${process.version}); .ci/run runs this file again on Node 24`)
} else {
  await executions()
}

async function executions(): Promise<void> {
  const {StateMachine} = await import('aws-local-stepfunctions')
  // Bundling three handlers on a busy two-core runner (210 s measured under load), then a dozen handler processes.
  t.setTimeout(900_000)

  // The BLS and DataUSA stand-in: the real pr snapshot, a second survey, the real population response.
  const upstream = await startUpstream(t)
  await serveSnapshot(upstream)
  upstream.setSurveyFile('cu', 'cu.series', 'series_id        \tarea_code\r\nCUUR0000SA0      \t0000\r\n')
  upstream.setSurveyFile('cu', 'cu.txt', 'Consumer Price Index\r\n')
  upstream.population.rawBody = await readFile(path.join(FIXTURES, 'datausa', 'nation-acs1-tesseract.json'), 'utf8')
  // A BLS root of one's own (dataquest:blsRoot): a second server, so where pr came from is plain.
  const mirror = await startUpstream(t)
  await serveSnapshot(mirror)

  const emulator = await startEmulator(t)

  // The stack as deployed with two surveys, bundled; and with the custom root (the same bundles).
  const started = Date.now()
  const {template, outdir} = await synthesizedTemplate(createApp({outdir: await tempDir(), context: {[CONTEXT.surveys]: 'pr,cu'}}).app, STACK_NAME)
  const custom = (
    await synthesizedTemplate(
      createApp({outdir: await tempDir(), context: {[CONTEXT.blsRoot]: mirror.rootUrl, 'aws:cdk:bundling-stacks': []}}).app,
      STACK_NAME,
    )
  ).template
  t.comment(`synthesized (bundled) in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  const bundles = Object.fromEntries(['fetch', 'transform', 'consume'].map((name) => [name, bundleOf(template, outdir, functionIdOf(template, name))]))

  /** The real upstream's hosts, answered by the local one (same paths); any other URL is kept. */
  const local = (value: string): string => {
    if (!value.startsWith('https://')) return value
    const url = new URL(value)
    if (!['download.bls.gov', 'honolulu-api.datausa.io'].includes(url.hostname)) throw new Error(`an upstream this test does not stand in for: ${value}`)
    return `${upstream.url}${url.pathname}${url.search}`
  }

  interface Execution {
    succeeded: boolean
    output?: unknown
    /** The Fail state's error and cause, when it failed. */
    error?: string
    cause?: string
    /** Every state's output, by state name (the last one). */
    outputs: {name: string; bytes: number}[]
    /** Each Task invocation: the state, its input, what the handler returned or threw, its log, and where in the emulator's request log it started. */
    invocations: ({state: string; input: unknown; requestsFrom: number} & LambdaRun)[]
    raw: string
    processed: string
  }

  /** Run the template's state machine once, its functions in processes against these buckets (new ones by default). */
  async function execute(stack: Template, buckets?: {raw: string; processed: string}): Promise<Execution> {
    const raw = buckets?.raw ?? (await emulator.bucket())
    const processed = buckets?.processed ?? (await emulator.bucket())
    const [rawId, processedId] = (['raw', 'processed'] as const).map((which) => {
      const ids = Object.entries(stack.Resources).filter(
        ([, r]) => r.Type === 'AWS::S3::Bucket' && (r.Properties.VersioningConfiguration !== undefined) === (which === 'raw'),
      )
      return ids[0]![0]
    })
    const refs = {[rawId!]: raw, [processedId!]: processed, Contact: CONTACT}
    const definition = stateMachineDefinition(stack, refs) as {States: Record<string, never>}
    const byArn = new Map(
      ['fetch', 'transform'].map((name) => {
        const id = functionIdOf(stack, name)
        const environment = Object.fromEntries(Object.entries(environmentOf(stack, id, refs)).map(([k, v]) => [k, local(v)]))
        return [functionArn(id), {bundle: bundles[name]!, environment: {...environment, AWS_ENDPOINT_URL: emulator.endpoint}}] as const
      }),
    )
    const invocations: Execution['invocations'] = []
    const handlers = Object.fromEntries(
      Object.entries(taskResources(definition)).map(([state, arn]) => {
        const fn = byArn.get(arn)
        if (!fn) throw new Error(`state ${state} invokes ${arn}, which is no function of the stack`)
        return [
          state,
          async (input: unknown) => {
            const requestsFrom = emulator.requests.length
            const run = await runBundle(fn.bundle, input, fn.environment)
            invocations.push({state, input, requestsFrom, ...run})
            // As Step Functions reports a Lambda function error: the error type, and the error as JSON for the cause.
            if (run.error) throw Object.assign(new Error(JSON.stringify(run.error)), {name: run.error.errorType})
            return run.result as never
          },
        ]
      }),
    )
    const execution = new StateMachine(definition as never).run({trigger: 'schedule'}, {overrides: {taskResourceLocalHandlers: handlers}})
    const outputs: Execution['outputs'] = []
    let failed: {Error: string; Cause: unknown} | undefined
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateExited') outputs.push({name: event.state.name, bytes: Buffer.byteLength(JSON.stringify(event.state.output ?? null))})
      if (event.type === 'ExecutionFailed') failed = event
    }
    try {
      return {succeeded: true, output: await execution.result, outputs, invocations, raw, processed}
    } catch {
      return {succeeded: false, error: failed?.Error, cause: String(failed?.Cause), outputs, invocations, raw, processed}
    }
  }

  // The stores' own bookkeeping (manifests, per folder or not) starts with a dot.
  const keysOf = async (bucket: string): Promise<string[]> =>
    ((await emulator.s3.send(new ListObjectsV2Command({Bucket: bucket}))).Contents ?? [])
      .map((o) => o.Key!)
      .filter((key) => !key.split('/').at(-1)!.startsWith('.'))
      .sort()

  let first: Execution | undefined

  await t.test('two surveys: both mirrored beside the population, the three reports written, every state output small', async (t) => {
    upstream.resetCounts()
    const run = (first = await execute(template))
    t.ok(run.succeeded, `the execution succeeded${run.cause ? `: ${run.cause}` : ''}`)
    const raw = await keysOf(run.raw)
    t.ok(raw.some((key) => key.startsWith('bls/pr/pr.data.0.Current')), 'bls/pr/ holds the pr files')
    t.same(raw.filter((key) => key.startsWith('bls/cu/')), ['bls/cu/cu.series', 'bls/cu/cu.txt'], 'bls/cu/ holds the other survey')
    t.ok(raw.includes('datausa/population.json'))
    t.same(await keysOf(run.processed), PROCESSED_KEYS, 'the three reports, as JSON, CSV and Parquet, and the page')
    t.same(
      run.invocations.map((i) => i.state).sort(),
      ['FetchPopulation', 'FetchSurvey', 'FetchSurvey', 'ListSurveys', 'Transform'],
      'one process per Task: the list, each survey, the population, the transform',
    )
    t.same(run.invocations.filter((i) => i.state === 'FetchSurvey').map((i) => (i.input as {survey: string}).survey).sort(), ['cu', 'pr'], 'the fetch contract {"survey": "cu"}, one survey each')
    t.ok(upstream.log.every((r) => r.userAgent.endsWith(`(+${CONTACT})`)), 'the contact parameter reached BLS')
    const largest = run.outputs.reduce((a, b) => (b.bytes > a.bytes ? b : a))
    t.ok(largest.bytes < 32 * 1024, `the largest state output is ${largest.name}'s, ${largest.bytes} bytes: well under Step Functions' 256 KB`)
    t.ok(run.outputs.length >= 10)
  })

  await t.test('an unchanged second execution writes nothing', async (t) => {
    if (!first?.succeeded) return t.fail('needs the first execution')
    const from = emulator.requests.length
    const again = await execute(template, first)
    t.ok(again.succeeded)
    const requests = [...requestsTo(emulator, first.raw, from), ...requestsTo(emulator, first.processed, from)]
    const isManifest = ({url}: {url: string}): boolean => /\/\.dataquest-manifest[^/]*\.json\b/.test(url)
    t.same(requests.filter((r) => isWrite(r) && !isManifest(r)), [], 'no object written to either bucket')
    // The fetches all end before the transform starts (which reads its inputs and reports as it does).
    const transformFrom = again.invocations.find((i) => i.state === 'Transform')!.requestsFrom
    const fetching = requestsTo(emulator, first.raw, from).filter((r) => emulator.requests.indexOf(r) < transformFrom)
    // A fetch that finds its files in the manifest neither HEADs them nor rewrites the manifest.
    // Per-folder manifests keep parallel fetches from overwriting each other's entries, and the
    // population is looked up by a listing its manifest vouches for (a stat would be a HEAD per Lambda).
    t.same(fetching.filter((r) => r.method === 'HEAD' || (isWrite(r) && isManifest(r))), [], 'zero S3 writes and no HEAD per object: the manifests survived the parallel fetches')
  })

  await t.test('a survey that fails: the reports are still written, then the execution fails naming it', async (t) => {
    upstream.failNext('listing:cu', {status: 404})
    const run = await execute(template)
    t.notOk(run.succeeded)
    t.equal(run.error, 'FetchFailed')
    t.match(run.cause, /fetch failed \(the others finished\): \["pr fetched","cu failed","population fetched"\]/, 'the cause names the failed survey')
    t.same(await keysOf(run.processed), PROCESSED_KEYS, 'pr and the population were fetched, so the reports are current')
    t.ok(run.invocations.some((i) => i.state === 'Transform' && i.result !== undefined), 'the transform ran')
    t.match(run.invocations.find((i) => i.state === 'FetchSurvey' && i.error)?.error, {errorType: 'FetchError', errorMessage: /404/})
  })

  await t.test('pr failing: no transform (its input is not current), and the execution fails naming it', async (t) => {
    upstream.failNext('listing', {status: 404})
    const run = await execute(template)
    t.equal(run.error, 'FetchFailed')
    t.match(run.cause, /\["pr failed","cu fetched","population fetched"\]/)
    t.notOk(run.invocations.some((i) => i.state === 'Transform'))
    t.same(await keysOf(run.processed), [])
  })

  await t.test('a custom dataquest:blsRoot: pr is read from it', async (t) => {
    upstream.resetCounts()
    mirror.resetCounts()
    const run = await execute(custom)
    t.ok(run.succeeded, `the execution succeeded${run.cause ? `: ${run.cause}` : ''}`)
    t.ok(mirror.requests.listing > 0 && Object.keys(mirror.requests.files).length > 0, 'the listing and files of pr came from the configured root')
    t.equal(upstream.requests.listing, 0, 'not from BLS')
    t.equal(upstream.requests.population, 1, 'the population from its own API')
    t.same(await keysOf(run.processed), PROCESSED_KEYS)
  })

  await t.test('the logger on the events S3 sends for what was written: one JSON log event per report, the bad record returned', async (t) => {
    if (!first?.succeeded) return t.fail('needs the first execution')
    // The events S3 sends: the notification is filtered to the three JSON reports.
    const written = (await keysOf(first.processed)).filter((key) => REPORT_KEYS.includes(key))
    t.same(written, REPORT_KEYS)
    const queue = await createQueuePair(emulator)
    const ids = await sendBodies(emulator, queue.queueUrl, [
      ...written.map((key) => s3EventBody({bucket: first!.processed, key})),
      s3EventBody({bucket: first.raw, key: 'population_stats.json'}), // no such object there
      '{"Records": "not a list"}',
    ])
    const {Messages = []} = await emulator.sqs.send(new ReceiveMessageCommand({QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10}))
    t.equal(Messages.length, ids.length)
    const logger = functionIdOf(template, 'consume')
    const run = await runBundle(bundles.consume!, lambdaSqsEvent(Messages, queue.name), {...environmentOf(template, logger, {}), AWS_ENDPOINT_URL: emulator.endpoint})
    t.same(run.result, {batchItemFailures: ids.slice(written.length).map((itemIdentifier) => ({itemIdentifier}))}, 'exactly the two bad records')
    const reports = run.events.filter((e) => (e.message as {status?: string}).status === 'report')
    t.same(reports.map((e) => (e.message as {object: string}).object).sort(), written.map((key) => `s3://${first!.processed}/${key}`), 'one event per report')
    t.ok(reports.every((e) => e.level === 'INFO' && typeof (e.message as {table?: unknown}).table === 'string'), 'each a JSON object with its table')
    t.equal(run.events.filter((e) => e.level === 'ERROR').length, 2)
  })
}
