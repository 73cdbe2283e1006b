import {once} from 'node:events'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import t from 'tap'

import {LOCK_NAME} from '../src/stores/folder.js'
import {dataquest, fetchHere, inFlight, leftovers, stalledFetch, until, upstreamArgs, v1, v2} from './helpers/stalled-fetch.js'

// Child processes start slowly on a loaded machine (tsx compiles the sources at each start).
t.setTimeout(1_800_000)

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
  // One after the other: runCommand captures this process's stdout, where tap reports.
  for (const scenario of scenarios) await scenario()
})
