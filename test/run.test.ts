import {mkdtemp, readdir} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {PassThrough} from 'node:stream'

import t from 'tap'

import Run from '../src/commands/run.js'
import {runTaskList} from '../src/render/task-list.js'
import {openStore} from '../src/stores/open.js'
import {runCommand} from './helpers/cli.js'
import {startEmulator} from './helpers/fauxqs.js'
import {serveFiles, startUpstream, type UpstreamServer} from './helpers/upstream.js'

const CONTACT = 'data-team@example.com'
const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-run-'))

/** Arguments pointing run at the test upstream; the sample data has one series, PRS30006011. */
const upstreamArgs = (upstream: UpstreamServer): string[] => [
  '--bls-url',
  upstream.blsUrl,
  '--population-url',
  upstream.populationUrl,
  '--series',
  'PRS30006011',
]

t.test('run into folders: fetch, transform, then the reports, with plain progress lines', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  upstream.extraLinks.push({href: '../escape'})
  const root = await tempDir()
  const argv = ['--raw', path.join(root, 'raw'), '--processed', path.join(root, 'processed'), ...upstreamArgs(upstream)]
  const result = await runCommand(Run, argv, {DATAQUEST_CONTACT: CONTACT})
  t.match(result.stderr, /^⚠ .*\.\.\/escape/m, 'fetch warnings are shown')
  t.equal(result.exitCode, 0, result.stderr)
  // Not a terminal: one line per step, no spinner frames or cursor movement.
  t.notOk(result.stderr.includes('\u001b['), 'no escape sequences')
  t.match(result.stderr, /Fetch upstream into .*raw — 4 added, 0 replaced, 0 deleted, 0 unchanged/)
  t.match(result.stderr, /Transform into .*processed — 1 series, 0 rejected rows, 10 of 10 files rewritten/)
  t.match(result.stderr, /Read the reports from .*processed — 3 reports/)
  t.notMatch(result.stderr, /› /, 'no live detail lines')
  // The reports, in order, on stdout.
  const order = ['population_stats', 'best_year_by_series', 'series_population'].map((name) => result.stdout.indexOf(name))
  t.ok(order[0]! >= 0 && order[0]! < order[1]! && order[1]! < order[2]!, 'the three reports, in order')
  t.match(result.stdout, /2019/)
  t.same((await readdir(path.join(root, 'processed'))).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort(), [
    'best_year_by_series.json',
    'population_stats.json',
    'series_population.json',
  ])

  t.test('a second run fetches nothing new and rewrites no report', async (t) => {
    upstream.resetCounts()
    const again = await runCommand(Run, [...argv, '--json'], {DATAQUEST_CONTACT: CONTACT})
    t.equal(again.exitCode, 0, again.stderr)
    t.equal(upstream.requests.total, 2, 'the listing and the population API')
    const json = JSON.parse(again.stdout)
    t.equal(json.fetch.unchanged, 4)
    t.same(json.transform.files.filter((f: {key: string}) => f.key.endsWith('.json')).map((f: {status: string}) => f.status), ['unchanged', 'unchanged', 'unchanged'])
    t.same(json.reports.map((r: {report: string}) => r.report), ['population_stats', 'best_year_by_series', 'series_population'])
    t.equal(json.reports[1].rows[0].year, 2019)
    t.notMatch(again.stderr, /Fetch upstream/, 'no task list with --json')
  })

  t.test('--only and --format reach the report step', async (t) => {
    const only = await runCommand(Run, [...argv, '--only', 'best-year', '--format', 'csv'], {DATAQUEST_CONTACT: CONTACT})
    t.equal(only.exitCode, 0, only.stderr)
    t.match(only.stdout, /^series_id,year,value,basis/m)
    t.notMatch(only.stdout, /Population/)
  })
})

t.test('run --dry-run is the fetch plan: nothing written, transformed or reported', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const root = await tempDir()
  const argv = ['--raw', path.join(root, 'raw'), '--processed', path.join(root, 'processed'), ...upstreamArgs(upstream), '--dry-run']
  const result = await runCommand(Run, argv, {DATAQUEST_CONTACT: CONTACT})
  t.equal(result.exitCode, 0, result.stderr)
  t.match(result.stderr, /Plan the fetch into .*raw — would add 4, replace 0, delete 0; 0 unchanged/)
  t.notMatch(result.stderr, /Transform|Read the reports/)
  t.match(result.stdout, /^would add +bls\/pr\/pr\.data\.0\.Current/m)
  t.match(result.stdout, /^fetch plan \(dry run\)\nwould add +4$/m)
  t.same(await readdir(root), [], 'nothing written')
  t.equal(upstream.requests.total, 2, 'the listing and the API only')
  const json = await runCommand(Run, [...argv, '--json'], {DATAQUEST_CONTACT: CONTACT})
  const parsed = JSON.parse(json.stdout)
  t.match(parsed, {fetch: {dryRun: true, added: 4}})
  t.notOk(parsed.reports, 'no reports')
})

t.test('run shows the retries it is waiting on as they happen, and the csv/--only rule before any work', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  upstream.failNext('file:pr.txt', {status: 503, headers: {'Retry-After': '0'}})
  const root = await tempDir()
  const argv = ['--raw', path.join(root, 'raw'), '--processed', path.join(root, 'processed'), ...upstreamArgs(upstream)]
  const result = await runCommand(Run, argv, {DATAQUEST_CONTACT: CONTACT})
  t.equal(result.exitCode, 0, result.stderr)
  const retry = result.stderr.search(/^retrying http:\/\/127\.0\.0\.1:\d+\/pub\/time\.series\/pr\/pr\.txt in 0\.0s \(503 Service Unavailable\)$/m)
  t.ok(retry >= 0, 'the retry is shown')
  t.ok(retry < result.stderr.search(/Fetch upstream into .* — 4 added/), 'while the fetch runs, not after it')

  upstream.resetCounts()
  const csv = await runCommand(Run, [...argv, '--format', 'csv'], {DATAQUEST_CONTACT: CONTACT})
  t.equal(csv.exitCode, 2)
  t.match(csv.stderr, /--format csv prints one report: add --only population/)
  t.equal(upstream.requests.total, 0, 'refused before any request')
})

t.test('run without a contact says so before any request', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const root = await tempDir()
  const result = await runCommand(Run, ['--raw', path.join(root, 'raw'), '--processed', path.join(root, 'p'), ...upstreamArgs(upstream)], {
    DATAQUEST_CONTACT: undefined,
  })
  t.equal(result.exitCode, 1)
  t.match(result.stderr, /BLS answers 403.*--contact you@example.com or the DATAQUEST_CONTACT/)
  t.equal(upstream.requests.total, 0)
  t.same(await readdir(root), [], 'nothing written')
})

t.test('a failing step stops the run, is named, and the steps before it keep their work', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const root = await tempDir()
  const argv = ['--raw', path.join(root, 'raw'), '--processed', path.join(root, 'processed'), ...upstreamArgs(upstream)]
  const result = await runCommand(Run, [...argv, '--data-file', 'pr.data.9.Missing', '--json'], {DATAQUEST_CONTACT: CONTACT})
  t.equal(result.exitCode, 1)
  const json = JSON.parse(result.stdout)
  t.match(json.error.message, /^transform failed: .*pr\.data\.9\.Missing/)
  t.equal(json.error.steps.fetch.added, 4, 'the fetch result rides along')
  t.notOk(json.error.steps.transform)
  const raw = await openStore(path.join(root, 'raw')).list()
  t.same(raw.map((o) => o.key), ['bls/pr/pr.data.0.Current', 'bls/pr/pr.series', 'bls/pr/pr.txt', 'datausa/population.json'])

  t.test('a 403 from BLS names the fetch step and gives the contact hint', async (t) => {
    upstream.failNext('listing', {status: 403, body: 'Forbidden'})
    const forbidden = await runCommand(Run, argv, {DATAQUEST_CONTACT: CONTACT})
    t.equal(forbidden.exitCode, 1)
    t.match(forbidden.stderr, /fetch failed: .*403.*; set one with --contact/)
  })
})

t.test('run into S3 with --bucket', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const result = await runCommand(Run, ['--bucket', bucket, '--endpoint', emulator.endpoint, '--json', ...upstreamArgs(upstream)], {
    DATAQUEST_CONTACT: CONTACT,
  })
  t.equal(result.exitCode, 0, result.stderr)
  const json = JSON.parse(result.stdout)
  t.equal(json.fetch.store, `s3://${bucket}/raw/`)
  const processed = await openStore(`s3://${bucket}/processed/`, {endpoint: emulator.endpoint}).list()
  t.same(processed.map((o) => o.key).filter((key) => key.endsWith('.json')), ['best_year_by_series.json', 'population_stats.json', 'series_population.json'])
  const raw = await openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint}).list()
  t.equal(raw.length, 4)
})

t.test('the task list on a terminal: live rendering, each outcome kept', async (t) => {
  const stream = Object.assign(new PassThrough(), {isTTY: true, columns: 100}) as unknown as NodeJS.WriteStream
  const chunks: string[] = []
  ;(stream as unknown as PassThrough).on('data', (chunk: Buffer) => chunks.push(chunk.toString()))
  const {isTTY, columns} = process.stdout
  // listr2 decides on process.stdout
  Object.assign(process.stdout, {isTTY: true, columns: 100})
  t.teardown(() => {
    Object.assign(process.stdout, {isTTY, columns})
  })
  await runTaskList(
    [
      {
        title: 'first',
        run: async ({update, warn, note}) => {
          update('working')
          warn('careful')
          note('retrying soon')
          return 'done well'
        },
      },
      {title: 'second', run: async () => 'fine'},
    ],
    {mode: 'live', stream},
  )
  const output = chunks.join('')
  t.match(output, /first — done well \(\d+\.\ds\)/)
  t.match(output, /second — fine/)
  t.match(output, /⚠ careful/)
  t.match(output, /retrying soon/, 'a note is live detail')

  // A terminal that reports no width gets plain lines, not a list wrapped to nothing.
  chunks.length = 0
  process.stdout.columns = 0
  await runTaskList([{title: 'narrow', run: async ({update}) => (update('detail'), 'ok')}], {mode: 'live', stream})
  t.match(chunks.join(''), /narrow — ok/)
  t.notMatch(chunks.join(''), /detail/, 'no live detail')

  await t.rejects(
    runTaskList([{title: 'broken', run: async () => Promise.reject(new Error('no disk'))}, {title: 'never', run: async () => t.fail('ran') as never}], {
      mode: 'quiet',
      stream,
    }),
    /no disk/,
  )
})
