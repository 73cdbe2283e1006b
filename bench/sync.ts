// `dataquest sync` against the tools people would use instead, each run as a CLI process (start-up
// included), the reference measured live in the same run, interleaved, best of BENCH_RUNS (default 3):
//  1. folder → S3 on a fauxqs started here, against `aws s3 sync` (AWS CLI on PATH): a first sync
//     of 2,000 files (~100 KB each) + one 40 MB file, then an unchanged second sync. The folder is
//     made by hand (no manifest), as `aws s3 sync` users have it; its files are an hour old.
//  2. folder → folder of 10,000 small files into an empty folder, against `rsync -a`.
// Peak RSS of each process from /usr/bin/time; requests counted by the emulator.
// Needs `npm run build` (bench:sync does it).
// Run: npm run bench:sync     (BENCH_FILES=200 BENCH_SMALL_FILES=1000 for a quick look)
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, rm, utimes, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {promisify} from 'node:util'

import {CreateBucketCommand} from '@aws-sdk/client-s3'

import {createS3Client} from '../src/aws/clients.js'
import {mapLimit} from '../src/util/concurrency.js'
import {projectRoot} from '../test/helpers/cli.js'
import {emulatorEnv, machine, startBenchEmulator} from './emulator.js'

const FILES = Number(process.env.BENCH_FILES ?? 2000)
const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 10_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const MB = 1024 * 1024

const emulator = await startBenchEmulator()
const work = await mkdtemp(path.join(os.tmpdir(), 'dataquest-bench-sync-'))
// dataquest's hash cache goes where the user's would (oclif's cacheDir honours XDG_CACHE_HOME), fresh for the bench.
const env = {...emulatorEnv(emulator.endpoint), XDG_CACHE_HOME: path.join(work, 'cache')}
const s3 = createS3Client({endpoint: emulator.endpoint})
const anHourAgo = new Date(Date.now() - 3600_000)

/** Write `count` files by hand under `root` (no dataquest manifest), an hour old. */
async function handMade(root: string, count: number, size: (i: number) => number, folders = 1): Promise<void> {
  await mapLimit(Array.from({length: count}, (_, i) => i), 8, async (i) => {
    const file = path.join(root, `d${i % folders}`, `f.${i}`)
    await mkdir(path.dirname(file), {recursive: true})
    await writeFile(file, randomBytes(size(i)))
    await utimes(file, anHourAgo, anHourAgo)
  })
}

const toS3 = path.join(work, 'to-s3')
await handMade(toS3, FILES, (i) => 50 * 1024 + ((i * 7919) % (100 * 1024)))
await writeFile(path.join(toS3, 'big'), randomBytes(40 * MB))
await utimes(path.join(toS3, 'big'), anHourAgo, anHourAgo)
const small = path.join(work, 'small')
await handMade(small, SMALL_FILES, (i) => 200 + ((i * 7919) % 2000), 100)

const dataquest = (from: string, to: string): [string, string[]] => [process.execPath, [path.join(projectRoot, 'bin/run.js'), 'sync', '--from', from, '--to', to, '--json']]
const tools = {
  dataquest: (bucket: string) => dataquest(toS3, `s3://${bucket}/raw/`),
  'aws s3 sync': (bucket: string) => ['aws', ['s3', 'sync', toS3, `s3://${bucket}/raw/`, '--only-show-errors']],
} satisfies Record<string, (bucket: string) => [string, string[]]>
const folderTools = {
  dataquest: (target: string) => dataquest(small, target),
  'rsync -a': (target: string) => ['rsync', ['-a', `${small}/`, `${target}/`]],
} satisfies Record<string, (target: string) => [string, string[]]>

interface Measure {
  seconds: number
  requests: number
  /** Peak RSS in MB. */
  rss: number
}

async function timed([command, args]: [string, string[]]): Promise<Measure> {
  await emulator.reset()
  const started = performance.now()
  const {stderr} = await promisify(execFile)('/usr/bin/time', ['-f', 'maxrss=%M', command, ...args], {env, maxBuffer: 64 * MB})
  const seconds = (performance.now() - started) / 1000
  const rss = Number(/maxrss=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1024
  return {seconds, requests: await emulator.requests(), rss}
}

type Phase = 'first' | 'unchanged' | 'folder → folder'
const best: Record<Phase, Record<string, Measure>> = {first: {}, unchanged: {}, 'folder → folder': {}}
const keep = (phase: Phase, tool: string, result: Measure): void => {
  if (!best[phase][tool] || result.seconds < best[phase][tool].seconds) best[phase][tool] = result
}
for (let run = 0; run < RUNS; run++) {
  for (const tool of Object.keys(tools) as (keyof typeof tools)[]) {
    const bucket = `bench-${run}-${tool.replaceAll(' ', '-')}`
    await s3.send(new CreateBucketCommand({Bucket: bucket}))
    keep('first', tool, await timed(tools[tool](bucket)))
    keep('unchanged', tool, await timed(tools[tool](bucket)))
  }
  // Each copy stays until the end: on ext4 without a journal (as here), a file created within
  // seconds of 10,000 deletions waits while the allocator steps over their inodes, so removing one
  // copy before the next tool's run timed the file system, not the tool.
  for (const tool of Object.keys(folderTools) as (keyof typeof folderTools)[]) {
    keep('folder → folder', tool, await timed(folderTools[tool](path.join(work, `copy-${run}-${tool.replaceAll(' ', '')}`))))
  }
}
const row = (phase: Phase, reference: string) => {
  const ours = best[phase].dataquest!
  const theirs = best[phase][reference]!
  return {
    sync: phase,
    reference,
    'dataquest s': +ours.seconds.toFixed(2),
    'reference s': +theirs.seconds.toFixed(2),
    ratio: +(ours.seconds / theirs.seconds).toFixed(2),
    'dataquest MB': Math.round(ours.rss),
    'reference MB': Math.round(theirs.rss),
    'dataquest requests': ours.requests,
    'reference requests': theirs.requests,
  }
}
console.log(`to S3: ${FILES} hand-made files + one 40 MB file; folder → folder: ${SMALL_FILES} small files; best of ${RUNS}; ${machine()}`)
const [first, unchanged, folders] = [row('first', 'aws s3 sync'), row('unchanged', 'aws s3 sync'), row('folder → folder', 'rsync -a')]
console.table([first, unchanged, folders])
const yes = (met: boolean): string => (met ? 'yes' : 'NO')
// An unchanged sync costs the reference's LIST pages plus one manifest GET per folder of the source (two here: the root and d0/).
console.log(
  `targets: first ratio ≤ 1.1: ${yes(first.ratio <= 1.1)}; unchanged ratio ≤ 0.8: ${yes(unchanged.ratio <= 0.8)}, RSS ≤ 120 MB: ${yes(unchanged['dataquest MB'] <= 120)}, ` +
    `requests ≤ LIST pages + 2 manifests: ${yes(unchanged['dataquest requests'] <= unchanged['reference requests'] + 2)}; folder → folder ratio ≤ 3: ${yes(folders.ratio <= 3)}`,
)
s3.destroy()
emulator.close()
await rm(work, {recursive: true, force: true})
