import {type ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'
import {existsSync} from 'node:fs'
import {mkdtemp, readdir, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import t, {type Test} from 'tap'

import Fetch from '../src/commands/fetch.js'
import {LOCK_NAME, MANIFEST_NAME} from '../src/stores/folder.js'
import {md5Hex} from '../src/stores/md5.js'
import {projectRoot, runCommand} from './helpers/cli.js'
import {sampleFiles, serveFiles, startUpstream, type UpstreamServer} from './helpers/upstream.js'

// Child processes start slowly on a loaded machine (tsx compiles the sources).
t.setTimeout(600_000)

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const until = async (condition: () => Promise<boolean> | boolean): Promise<void> => {
  while (!(await condition())) await sleep(20)
}

const DATA = 'pr.data.0.Current'
const v1 = sampleFiles()[DATA]!
const v2 = v1 + 'PRS30006011     \t2019\tQ03\t       3.5\t\r\n'.repeat(2000)
const SERIES_V2 = 'series_id\tsector_code\r\nPRS30006011\t3000\r\nPRS30006012\t3000\r\n'

// runCommand captures this process's stdout and stderr: scenarios running side by side take turns.
let turn: Promise<unknown> = Promise.resolve()
const fetchHere = (args: string[]): ReturnType<typeof runCommand> => {
  const result = turn.then(() => runCommand(Fetch, args))
  turn = result.catch(() => {})
  return result
}

const upstreamArgs = (upstream: UpstreamServer): string[] => ['--contact', 'me@example.com', '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl]

/** Everything but the stored files: temp files and the lock. */
async function leftovers(root: string): Promise<string[]> {
  const names = await readdir(root, {recursive: true})
  return names.filter((name) => name.endsWith('.tmp') || path.basename(name) === LOCK_NAME)
}

/**
 * A raw store fetched once (`v1`), and an upstream whose data file has changed and stalls halfway
 * through its download (pr.series changed too, and downloads at once).
 */
async function stalledFetch(t: Test): Promise<{root: string; upstream: UpstreamServer; dataFile: string}> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'dataquest-interrupt-'))
  const upstream = await startUpstream()
  serveFiles(upstream)
  t.equal((await fetchHere(['--raw', root, ...upstreamArgs(upstream)])).exitCode, 0, 'the first fetch stores v1')
  upstream.setFile(DATA, v2, new Date(Date.UTC(2024, 6, 1)))
  upstream.setFile('pr.series', SERIES_V2, new Date(Date.UTC(2024, 6, 1)))
  upstream.interrupt.set(DATA, {afterBytes: Math.floor(v2.length / 2), mode: 'stall', times: Infinity})
  return {root, upstream, dataFile: path.join(root, 'bls/pr', DATA)}
}

/** The data file's download is under way (its temp file exists) and pr.series is recorded. */
const inFlight = async (root: string): Promise<boolean> => {
  const names = await readdir(path.join(root, 'bls/pr'))
  const manifest = await readFile(path.join(root, MANIFEST_NAME), 'utf8')
  return names.some((name) => /^\.pr\.data\.0\.Current\.[0-9a-f]{12}\.tmp$/.test(name)) && manifest.includes(md5Hex(SERIES_V2))
}

function dataquest(args: string[]): {child: ChildProcess; stderr: () => string} {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bin/dev.js'), ...args], {
    cwd: projectRoot,
    // No coverage from the child: it runs the sources through tsx, whose coverage would not map onto tap's.
    env: {...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdout!.resume()
  return {child, stderr: () => stderr}
}

t.test('fetch interrupted in-process: temp files removed, lock released, one line, exit code 130', async (t) => {
  const {root, upstream, dataFile} = await stalledFetch(t)
  const exit = process.exit
  let code: number | undefined
  process.exit = ((status?: number) => {
    code = status
  }) as typeof process.exit
  t.teardown(() => {
    process.exit = exit
  })
  const running = runCommand(Fetch, ['--raw', root, ...upstreamArgs(upstream)])
  await until(() => inFlight(root))

  const second = await fetchHere(['--raw', root, ...upstreamArgs(upstream)])
  t.equal(second.exitCode, 1, 'a second writer fails fast')
  t.match(second.stderr, `${root} is being written by dataquest fetch (pid ${process.pid} on ${os.hostname()}, since `)

  process.emit('SIGINT', 'SIGINT')
  await until(() => code !== undefined)
  t.equal(code, 130)
  t.same(await leftovers(root), [], 'no temp file, no lock')
  t.equal(await readFile(dataFile, 'utf8'), v1, 'the previous copy is intact')
  t.equal(await readFile(path.join(root, 'bls/pr/pr.series'), 'utf8'), SERIES_V2, 'the change completed before it is kept')
  await upstream.close()
  const result = await running
  t.match(result.stderr, `fetch interrupted by SIGINT: its temp files are removed; ${root} keeps the 1 change completed before it, the rest as it was\n`)
  t.equal(process.listenerCount('SIGINT'), 0, 'its signal handlers are gone')
  t.same(await leftovers(root), [])
})

t.test('real processes: a second writer, SIGINT, SIGTERM and kill -9', async (t) => {
  const scenarios = [
    // A real SIGINT, while a second process tries to write the same store.
    async (): Promise<void> => {
      const {root, upstream, dataFile} = await stalledFetch(t)
      const {child, stderr} = dataquest(['fetch', '--raw', root, ...upstreamArgs(upstream)])
      await until(() => inFlight(root))
      const second = await fetchHere(['--raw', root, ...upstreamArgs(upstream)])
      t.equal(second.exitCode, 1, 'the second writer fails fast')
      t.match(second.stderr, `${root} is being written by dataquest fetch (pid ${child.pid} on ${os.hostname()}, since `)
      child.kill('SIGINT')
      const [code] = await once(child, 'exit')
      t.equal(code, 130, 'SIGINT: exit 130')
      t.match(stderr(), `fetch interrupted by SIGINT: its temp files are removed; ${root} keeps the 1 change completed before it, the rest as it was`)
      t.same(await leftovers(root), [], 'SIGINT: no temp file, no lock')
      t.equal(await readFile(dataFile, 'utf8'), v1, 'SIGINT: the previous copy is intact')
      await upstream.close()
    },
    // A real SIGTERM to run: both stores named.
    async (): Promise<void> => {
      const {root, upstream, dataFile} = await stalledFetch(t)
      const processed = `${root}-processed`
      const {child, stderr} = dataquest(['run', '--raw', root, '--processed', processed, ...upstreamArgs(upstream)])
      await until(() => inFlight(root))
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit')
      t.equal(code, 143, 'SIGTERM: exit 143')
      t.match(stderr(), `run interrupted by SIGTERM: its temp files are removed; ${root} keeps the 1 change completed before it, the rest as it was; ${processed} keeps the 0 changes`)
      t.same(await leftovers(root), [], 'SIGTERM: no temp file, no lock')
      t.notOk(existsSync(path.join(processed, LOCK_NAME)), 'SIGTERM: the processed store is unlocked too')
      t.equal(await readFile(dataFile, 'utf8'), v1, 'SIGTERM: the previous copy is intact')
      await upstream.close()
    },
    // kill -9 leaves its temp file and lock; the next writer sweeps both.
    async (): Promise<void> => {
      const {root, upstream, dataFile} = await stalledFetch(t)
      const {child} = dataquest(['fetch', '--raw', root, ...upstreamArgs(upstream)])
      await until(() => inFlight(root))
      child.kill('SIGKILL')
      await once(child, 'exit')
      t.ok((await leftovers(root)).length >= 2, 'kill -9 leaves a temp file and the lock')
      upstream.interrupt.clear()
      const next = await fetchHere(['--raw', root, ...upstreamArgs(upstream)])
      t.equal(next.exitCode, 0, next.stderr)
      t.match(next.stderr, `took over the lock of dataquest fetch (pid ${child.pid}, since `)
      t.match(next.stderr, new RegExp(`${root}: removed \\d+ temp files? \\(`))
      t.same(await leftovers(root), [], 'swept')
      t.equal(await readFile(dataFile, 'utf8'), v2, 'and the fetch completed')
      await upstream.close()
    },
  ]
  await Promise.all(scenarios.map((scenario) => scenario()))
})
