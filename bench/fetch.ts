// 1. Requests and bytes of a first and an unchanged second fetch of the real BLS `pr` snapshot,
//    served by the test upstream server on 127.0.0.1 into a temporary folder store (vendored in fixtures/).
// 2. `dataquest fetch` (the built CLI, in its own process) of one 1.5 GB file into S3 on a fauxqs
//    started here: peak RSS of the fetching process and the most its temp dir ever held.
// 3. A dry-run fetch of a 100,000-entry listing (8.8 MB): the listing parse and the plan (target ≤ 3 s).
// Run: npm run bench:fetch     (BENCH_BIG_MB=200 for a quick look; `-- --listing` for part 3 alone)
import {execFile} from 'node:child_process'
import {mkdtemp, readdir, rm, stat} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {promisify} from 'node:util'

import {CreateBucketCommand} from '@aws-sdk/client-s3'

import {createS3Client} from '../src/aws/clients.js'
import {fetchUpstream} from '../src/fetch/index.js'
import {FolderStore} from '../src/stores/folder.js'
import {projectRoot} from '../test/helpers/cli.js'
import {serveSnapshot, startUpstream} from '../test/helpers/upstream.js'
import {emulatorEnv, machine, startBenchEmulator} from './emulator.js'

const MB = 1024 * 1024

async function snapshotFetch(): Promise<void> {
  const upstream = await startUpstream()
  const snapshot = await serveSnapshot(upstream)
  const root = await mkdtemp(path.join(os.tmpdir(), 'dataquest-bench-'))
  const options = {store: new FolderStore(root), contact: 'bench@example.com', version: 'bench', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl}
  const rows = []
  for (const run of ['first', 'unchanged second']) {
    upstream.resetCounts()
    const started = performance.now()
    const summary = await fetchUpstream(options)
    rows.push({
      run,
      'requests (server)': upstream.requests.total,
      'requests (client)': summary.requests,
      'bytes downloaded': summary.downloaded,
      'bytes written': summary.bytes,
      added: summary.added,
      unchanged: summary.unchanged,
      ms: Math.round(performance.now() - started),
    })
  }
  console.log(`${snapshot.length} BLS files, ${snapshot.reduce((n, f) => n + f.body.length, 0)} bytes, + the population API`)
  console.table(rows)
  await upstream.close()
  await rm(root, {recursive: true, force: true})
}

/** Bytes under `folder`, recursively (0 once it is gone). */
async function usage(folder: string): Promise<number> {
  const entries = await readdir(folder, {recursive: true, withFileTypes: true}).catch(() => [])
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.size, () => 0)))
  return sizes.reduce((a, b) => a + b, 0)
}

async function bigFetchIntoS3(): Promise<void> {
  const size = Number(process.env.BENCH_BIG_MB ?? 1536) * MB
  const upstream = await startUpstream()
  const body = Buffer.alloc(size)
  for (let offset = 0; offset < size; offset += 4096) body.write(`${offset.toString(16).padStart(12, '0')}\t`, offset)
  upstream.setFile('pr.big', body)
  const emulator = await startBenchEmulator()
  const s3 = createS3Client({endpoint: emulator.endpoint})
  await s3.send(new CreateBucketCommand({Bucket: 'big'}))
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dataquest-bench-tmp-'))
  let tempPeak = 0
  const polling = setInterval(() => void usage(tmp).then((bytes) => (tempPeak = Math.max(tempPeak, bytes))), 100)
  const args = ['-f', '%M %e', process.execPath, path.join(projectRoot, 'bin/run.js'), 'fetch', '--contact', 'bench@example.com', '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl, '--raw', 's3://big/raw/', '--json']
  const {stderr} = await promisify(execFile)('/usr/bin/time', args, {env: {...emulatorEnv(emulator.endpoint), TMPDIR: tmp}, maxBuffer: 16 * MB})
  clearInterval(polling)
  const [rssKb, seconds] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
  console.log(`fetch of one ${size / MB} MB file into S3 (fauxqs), ${machine()}`)
  console.table([{'seconds': seconds, 'peak RSS MB': Math.round(rssKb! / 1024), 'temp dir peak bytes': tempPeak, 'requests to S3': await emulator.requests()}])
  console.log('targets: peak RSS ≤ 250 MB; temp ≤ one part (8 MiB)')
  s3.destroy()
  emulator.close()
  await upstream.close()
  await rm(tmp, {recursive: true, force: true})
}

/** A dry-run fetch (listing read and parsed, plan made, nothing written) of a listing of `count` files. */
async function bigListingDryRun(count = 100_000): Promise<void> {
  const upstream = await startUpstream()
  const lines = Array.from({length: count}, (_, i) => `  6/6/2024  8:30 AM      ${1000 + i} <A HREF="/pub/time.series/pr/pr.file.${i}">pr.file.${i}</A><br>`)
  const html = `<html><body><pre><A HREF="/pub/time.series/">[To Parent Directory]</A><br><br>${lines.join('')}</pre></body></html>`
  const root = await mkdtemp(path.join(os.tmpdir(), 'dataquest-bench-'))
  const rows = []
  for (let run = 1; run <= 3; run++) {
    upstream.failNext('listing', {status: 200, body: html})
    const started = performance.now()
    const cpu = process.cpuUsage()
    const summary = await fetchUpstream({store: new FolderStore(root), contact: 'bench@example.com', version: 'bench', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl, dryRun: true})
    const {user, system} = process.cpuUsage(cpu)
    // CPU too (this process: the server's share included): on a loaded machine the wall clock says little.
    rows.push({run, 'listing bytes': html.length, planned: summary.added, seconds: Number(((performance.now() - started) / 1000).toFixed(2)), 'cpu seconds': Number(((user + system) / 1e6).toFixed(2))})
  }
  console.log(`dry-run fetch of a ${count}-entry listing, ${machine()}`)
  console.table(rows)
  console.log('target: ≤ 3 s (issue 21)')
  await upstream.close()
  await rm(root, {recursive: true, force: true})
}

await bigListingDryRun()
if (!process.argv.includes('--listing')) {
  await snapshotFetch()
  await bigFetchIntoS3()
}
