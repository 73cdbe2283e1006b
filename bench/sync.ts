// `dataquest sync` against `aws s3 sync` (AWS CLI on PATH), folder → S3 on a fauxqs started here:
// a first sync of 2,000 files (~100 KB each) + one 40 MB file, then an unchanged second sync.
// Both tools run as CLI processes (start-up included), each into its own bucket; best of BENCH_RUNS
// (default 3), requests counted by the emulator. Needs `npm run build` (bench:sync does it).
// Run: npm run bench:sync     (BENCH_FILES=200 for a quick look)
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {promisify} from 'node:util'

import {CreateBucketCommand} from '@aws-sdk/client-s3'

import {createS3Client} from '../src/aws/clients.js'
import {FolderStore} from '../src/stores/folder.js'
import {mapLimit} from '../src/util/concurrency.js'
import {projectRoot} from '../test/helpers/cli.js'
import {emulatorEnv, machine, startBenchEmulator} from './emulator.js'

const FILES = Number(process.env.BENCH_FILES ?? 2000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const MB = 1024 * 1024

const emulator = await startBenchEmulator()
const env = emulatorEnv(emulator.endpoint)
const s3 = createS3Client({endpoint: emulator.endpoint})
// The source is what `fetch` leaves: a folder store with its manifest (so neither tool re-hashes it).
const root = await mkdtemp(path.join(os.tmpdir(), 'dataquest-bench-sync-'))
const source = new FolderStore(root)
await mapLimit(Array.from({length: FILES}, (_, i) => i), 8, (i) => source.write(`bls/xx/xx.data.${i}`, randomBytes(50 * 1024 + ((i * 7919) % (100 * 1024)))))
await source.write('bls/xx/xx.data.big', randomBytes(40 * MB))

const tools = {
  dataquest: (bucket: string) => [process.execPath, [path.join(projectRoot, 'bin/run.js'), 'sync', '--from', root, '--to', `s3://${bucket}/raw/`, '--json']],
  'aws s3 sync': (bucket: string) => ['aws', ['s3', 'sync', root, `s3://${bucket}/raw/`, '--exclude', '.dataquest-manifest.json', '--only-show-errors']],
} satisfies Record<string, (bucket: string) => [string, string[]]>

async function timed(tool: keyof typeof tools, bucket: string): Promise<{seconds: number; requests: number}> {
  const [command, args] = tools[tool](bucket)
  await emulator.reset()
  const started = performance.now()
  await promisify(execFile)(command, [...args], {env, maxBuffer: 64 * MB})
  return {seconds: (performance.now() - started) / 1000, requests: await emulator.requests()}
}

const best = {first: {} as Record<string, {seconds: number; requests: number}>, unchanged: {} as Record<string, {seconds: number; requests: number}>}
const keep = (phase: keyof typeof best, tool: string, result: {seconds: number; requests: number}): void => {
  if (!best[phase][tool] || result.seconds < best[phase][tool].seconds) best[phase][tool] = result
}
for (let run = 0; run < RUNS; run++) {
  for (const tool of Object.keys(tools) as (keyof typeof tools)[]) {
    const bucket = `bench-${run}-${tool.replaceAll(' ', '-')}`
    await s3.send(new CreateBucketCommand({Bucket: bucket}))
    keep('first', tool, await timed(tool, bucket))
    keep('unchanged', tool, await timed(tool, bucket))
  }
}
const row = (phase: keyof typeof best) => {
  const ours = best[phase].dataquest!
  const theirs = best[phase]['aws s3 sync']!
  return {
    sync: phase,
    'dataquest s': +ours.seconds.toFixed(2),
    'aws s3 sync s': +theirs.seconds.toFixed(2),
    ratio: +(ours.seconds / theirs.seconds).toFixed(2),
    'dataquest requests': ours.requests,
    'aws requests': theirs.requests,
  }
}
console.log(`${FILES} files + one 40 MB file, best of ${RUNS}; ${machine()}`)
console.table([row('first'), row('unchanged')])
console.log('targets: first ratio ≤ 1.1; unchanged ≤ 4 requests and ratio ≤ 1.0')
s3.destroy()
emulator.close()
await rm(root, {recursive: true, force: true})
