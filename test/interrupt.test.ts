import {mkdtemp, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import t from 'tap'

import {interruptedLine} from '../src/cli/interrupt.js'
import Fetch from '../src/commands/fetch.js'
import Run from '../src/commands/run.js'
import {runCommand} from './helpers/cli.js'
import {DATA, fetchHere, inFlight, leftovers, SERIES_V2, stalledFetch, until, upstreamArgs, v1} from './helpers/stalled-fetch.js'
import {serveFiles, startUpstream} from './helpers/upstream.js'

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
  const listeners = process.listenerCount('SIGINT')
  const running = runCommand(Fetch, ['--raw', root, ...upstreamArgs(upstream)])
  // While it runs, runCommand captures stdout, where tap reports: observe now, assert afterwards.
  await until(() => inFlight(root))
  const second = await fetchHere(['--raw', root, ...upstreamArgs(upstream)])
  process.emit('SIGINT', 'SIGINT')
  await until(() => code !== undefined)
  const first = code
  code = undefined
  process.emit('SIGINT', 'SIGINT')
  const again = code
  const left = await leftovers(root)
  const data = await readFile(dataFile, 'utf8')
  const series = await readFile(path.join(root, 'bls/pr/pr.series'), 'utf8')
  // The command goes on (process.exit is stubbed): with the file gone (a 404 is not retried) and its
  // stalled download cut, it ends at once, where a closed server would be retried for seconds.
  upstream.removeFile(DATA)
  upstream.dropConnections()
  const result = await running
  await upstream.close()

  t.equal(second.exitCode, 1, 'a second writer fails fast')
  t.match(second.stderr, `${root} is being written by dataquest fetch (pid ${process.pid} on ${os.hostname()}, since `)
  t.equal(first, 130)
  t.equal(again, 130, 'a second signal exits at once')
  t.same(left, [], 'no temp file, no lock')
  t.equal(data, v1, 'the previous copy is intact')
  t.equal(series, SERIES_V2, 'the change completed before it is kept')
  t.match(result.stderr, `fetch interrupted by SIGINT: its temp files are removed; ${root} keeps the 1 change completed before it, the rest as it was\n`)
  t.equal(process.listenerCount('SIGINT'), listeners, 'its signal handlers are gone')
  t.same(await leftovers(root), [])
})

t.test('run on one folder for both stores locks it once', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'dataquest-interrupt-'))
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const result = await runCommand(Run, ['--raw', root, '--processed', root, '--json', ...upstreamArgs(upstream)])
  t.notMatch(result.stderr, 'is being written by')
  t.same(await leftovers(root), [])
})


t.test('the interrupted line: changes counted per store, and a command that holds no store', async (t) => {
  t.equal(
    interruptedLine('sync', 'SIGTERM', [{location: 's3://b/raw/', changes: 3}]),
    'sync interrupted by SIGTERM: its temp files are removed; s3://b/raw/ keeps the 3 changes completed before it, the rest as it was',
  )
  t.equal(interruptedLine('transform', 'SIGINT', []), 'transform interrupted by SIGINT: its temp files are removed; what was completed before it is kept')
})
