import {PassThrough} from 'node:stream'

import t from 'tap'

import {createProgress, progressMode, useColor} from '../src/render/progress.js'
import {fetchRows, formatBytes, formatCount, renderResult, renderSummary, syncRows} from '../src/render/summary.js'

/**
 * A writable that collects what is written. With `isTTY` it looks like a terminal to ora: the
 * cursor methods of a tty.WriteStream write nothing here, the frames and final lines are kept.
 */
function sink(isTTY: boolean): PassThrough & {isTTY: boolean; text(): string} {
  const cursor = {cursorTo: () => true, moveCursor: () => true, clearLine: () => true}
  const stream = Object.assign(new PassThrough(), {isTTY, columns: 80}, isTTY ? cursor : {})
  const chunks: string[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()))
  return Object.assign(stream, {text: () => chunks.join('')})
}

t.test('progress modes', async (t) => {
  t.equal(progressMode({json: true, stream: {isTTY: true, columns: 80}}), 'quiet')
  t.equal(progressMode({json: false, stream: {isTTY: true, columns: 80}}), 'live')
  t.equal(progressMode({json: false, stream: {isTTY: true, columns: 0}}), 'plain', 'a terminal without a width')
  t.equal(progressMode({json: false, stream: {isTTY: undefined}}), 'plain')
  t.equal(useColor({isTTY: true}, {}), true)
  t.equal(useColor({isTTY: true}, {NO_COLOR: '1'}), false)
  t.equal(useColor({isTTY: true}, {TERM: 'dumb'}), false)
  t.equal(useColor({}, {}), false)
})

t.test('plain lines: a start and an end line per step, no escape codes', async (t) => {
  const stream = sink(false)
  const progress = createProgress({mode: 'plain', stream})
  const value = await progress.step('Download \u001b[31mred', async (step) => {
    step.update('ignored in plain mode')
    progress.warn('skipped a link')
    return 3
  }, (n) => `${n} files`)
  t.equal(value, 3)
  await t.rejects(progress.step('Broken', async () => {
    throw new Error('it broke')
  }), /it broke/)
  const lines = stream.text().split('\n')
  t.equal(lines[0], 'Download red…')
  t.equal(lines[1], '⚠ skipped a link')
  t.match(lines[2], /^✔ Download red — 3 files \(\d+\.\ds\)$/)
  t.equal(lines[3], 'Broken…')
  t.equal(lines[4], '✖ Broken — it broke')
  t.notMatch(stream.text(), /ignored/)
  t.notOk(stream.text().includes('\u001b'), 'no escape codes')
})

t.test('live: a spinner per step that stays as a ✔/✖ line', async (t) => {
  const stream = sink(true)
  const progress = createProgress({mode: 'live', stream})
  await progress.step('Fetch', async (step) => {
    step.update('1/3 files')
    progress.warn('retrying')
    return undefined
  })
  await t.rejects(progress.step('Sync', async () => {
    throw new Error('no bucket')
  }))
  const text = stream.text()
  t.match(text, /Fetch — 1\/3 files/)
  t.match(text, /⚠ retrying\n/)
  t.match(text, /✔.*Fetch \(\d+\.\ds\)/)
  t.match(text, /✖.*Sync — no bucket/)
})

t.test('quiet: warnings only', async (t) => {
  const stream = sink(false)
  const progress = createProgress({mode: 'quiet', stream})
  await progress.step('Fetch', async (step) => {
    step.update('x')
    progress.warn('careful')
  })
  await t.rejects(progress.step('Fail', async () => Promise.reject(new Error('x'))))
  t.equal(stream.text(), '⚠ careful\n')
})

t.test('summaries', async (t) => {
  t.equal(formatCount(1504795), '1,504,795')
  t.same([0, 999, 1000, 4_670_529, 3e15].map(formatBytes), ['0 B', '999 B', '1.0 kB', '4.7 MB', '3000.0 TB'])
  const counts = {added: 1, replaced: 0, deleted: 2, unchanged: 10, failed: 0, bytes: 1234, requests: 5}
  t.equal(renderSummary('fetch', fetchRows(counts), {color: false}), 'fetch\nadded                   1\nreplaced                0\ndeleted                 2\nunchanged              10\nbytes written      1.2 kB\nupstream requests       5')
  const coloured = renderSummary('fetch', fetchRows({...counts, failed: 1}), {color: true})
  t.ok(coloured.startsWith('\u001b[1mfetch'), 'bold header')
  t.match(coloured, /\nfailed\s+1\n/)
  const sync = {uploaded: 1, deleted: 0, unchanged: 0, kept: 2, failed: 1, bytes: 0}
  t.match(renderSummary('sync', syncRows(sync), {color: false}), /kept \(--no-delete\)\s+2\nfailed\s+1\nbytes uploaded\s+0 B/)
  const files = [
    {key: 'a', action: 'unchanged', reason: 'same'},
    {key: 'b', action: 'add', reason: 'new'},
    {key: 'c', action: 'replace', reason: 'size', error: 'c: broke'},
  ]
  t.equal(renderResult('fetch', files, [['added', 1]], {color: false}), 'action          file  why\nadd             b     new\nreplace FAILED  c     c: broke\n\nfetch\nadded  1')
  t.equal(renderResult('fetch', files.slice(0, 1), [['added', 0]], {color: false}), 'fetch\nadded  0')
})
