import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtemp, readdir, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {Test} from 'tap'

import Fetch from '../../src/commands/fetch.js'
import {JOURNAL_NAME, LOCK_NAME, MANIFEST_NAME} from '../../src/stores/folder.js'
import {md5Hex} from '../../src/stores/md5.js'
import {projectRoot, runCommand} from './cli.js'
import {sampleFiles, serveFiles, startUpstream, type UpstreamServer} from './upstream.js'

/** A raw store to interrupt: a download that stalls halfway (see stalledFetch). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
export const until = async (condition: () => Promise<boolean> | boolean): Promise<void> => {
  while (!(await condition())) await sleep(20)
}

export const DATA = 'pr.data.0.Current'
export const v1 = sampleFiles()[DATA]!
export const v2 = v1 + 'PRS30006011     \t2019\tQ03\t       3.5\t\r\n'.repeat(2000)
export const SERIES_V2 = 'series_id\tsector_code\r\nPRS30006011\t3000\r\nPRS30006012\t3000\r\n'

// runCommand captures this process's stdout and stderr: scenarios running side by side take turns.
let turn: Promise<unknown> = Promise.resolve()
export const fetchHere = (args: string[]): ReturnType<typeof runCommand> => {
  const result = turn.then(() => runCommand(Fetch, args))
  turn = result.catch(() => {})
  return result
}

export const upstreamArgs = (upstream: UpstreamServer): string[] => ['--contact', 'me@example.com', '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl]

/** Everything but the stored files: temp files and the lock. */
export async function leftovers(root: string): Promise<string[]> {
  const names = await readdir(root, {recursive: true})
  return names.filter((name) => name.endsWith('.tmp') || path.basename(name) === LOCK_NAME)
}

/**
 * A raw store fetched once (`v1`), and an upstream whose data file has changed and stalls halfway
 * through its download (pr.series changed too, and downloads at once).
 */
export async function stalledFetch(t: Test): Promise<{root: string; upstream: UpstreamServer; dataFile: string}> {
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
export const inFlight = async (root: string): Promise<boolean> => {
  const names = await readdir(path.join(root, 'bls/pr'))
  // Recorded: in the manifest, or in the journal a write appends to until the command folds it in.
  const recorded = await Promise.all([MANIFEST_NAME, JOURNAL_NAME].map((name) => readFile(path.join(root, name), 'utf8').catch(() => '')))
  const manifest = recorded.join('')
  return names.some((name) => /^\.pr\.data\.0\.Current\.[0-9a-f]{12}\.tmp$/.test(name)) && manifest.includes(md5Hex(SERIES_V2))
}

export function dataquest(args: string[]): {child: ChildProcess; stderr: () => string} {
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

