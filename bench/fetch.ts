// Requests and bytes of a first and an unchanged second fetch of the real BLS `pr` snapshot,
// served by the test upstream server on 127.0.0.1 into a temporary folder store.
// Run: node --import tsx bench/fetch.ts   (needs ../shared/fixtures)
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {fetchUpstream} from '../src/fetch/index.js'
import {FolderStore} from '../src/stores/folder.js'
import {serveSnapshot, startUpstream} from '../test/helpers/upstream.js'

const upstream = await startUpstream()
const snapshot = await serveSnapshot(upstream)
if (!snapshot) {
  console.error('../shared/fixtures is absent: nothing to measure')
  await upstream.close()
  process.exit(1)
}
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
