import {PassThrough} from 'node:stream'

import t from 'tap'

import type {FetchEvent} from '../src/fetch/index.js'
import {createProgress, fetchProgress, progressMode, useColor} from '../src/render/progress.js'
import {
  fetchLine,
  fetchRows,
  formatBytes,
  formatCount,
  renderFetchResult,
  renderResult,
  renderSummary,
  renderSyncResult,
  syncDirection,
  syncLine,
  syncRows,
} from '../src/render/summary.js'
import {renderTable} from '../src/render/table.js'

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
    progress.note('pr: 3 files')
    return undefined
  })
  await t.rejects(progress.step('Sync', async () => {
    throw new Error('no bucket')
  }))
  const text = stream.text()
  t.match(text, /Fetch — 1\/3 files/)
  t.match(text, /⚠ retrying\n/)
  t.match(text, / {2}pr: 3 files\n/, 'a note is a line of its own under the spinner')
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
  const counts = {dryRun: false, added: 1, replaced: 0, deleted: 2, unchanged: 10, failed: 0, bytes: 1234, requests: 5}
  t.equal(renderSummary('fetch', fetchRows(counts), {color: false}), 'fetch\nadded                   1\nreplaced                0\ndeleted                 2\nunchanged              10\nbytes written      1.2 kB\nupstream requests       5')
  const coloured = renderSummary('fetch', fetchRows({...counts, failed: 1}), {color: true})
  t.ok(coloured.startsWith('\u001b[1mfetch'), 'bold header')
  t.match(coloured, /\nfailed\s+1\n/)
  const sync = {dryRun: false, direction: 'upload' as const, uploaded: 1, deleted: 0, unchanged: 0, kept: 2, failed: 1, bytes: 0}
  t.match(renderSummary('sync', syncRows(sync), {color: false}), /kept \(--no-delete\)\s+2\nfailed\s+1\nbytes uploaded\s+0 B/)
  const files = [
    {key: 'a', action: 'unchanged', reason: 'same'},
    {key: 'b', action: 'add', reason: 'new'},
    {key: 'c', action: 'replace', reason: 'size', error: 'c: broke'},
  ]
  t.equal(renderResult('fetch', files, [['added', 1]], {color: false}), 'action          file  why\nadd             b     new\nreplace FAILED  c     c: broke\n\nfetch\nadded  1')
  t.equal(renderResult('fetch', files.slice(0, 1), [['added', 0]], {color: false}), 'fetch\nadded  0')
})

t.test('dry runs say what they would do; a sync names its direction', async (t) => {
  const counts = {dryRun: true, added: 13, replaced: 1, deleted: 2, unchanged: 4, failed: 0, bytes: 0, requests: 2}
  t.equal(fetchLine(counts), 'would add 13, replace 1, delete 2; 4 unchanged')
  t.equal(fetchLine({...counts, dryRun: false, bytes: 1500}), '13 added, 1 replaced, 2 deleted, 4 unchanged, 1.5 kB')
  const files = [
    {key: 'bls/pr/a', action: 'add', reason: 'new'},
    {key: 'bls/pr/b', action: 'delete', reason: 'gone'},
    {key: 'bls/pr/c', action: 'unchanged', reason: 'same'},
  ]
  t.equal(
    renderFetchResult({...counts, files}, {color: false}),
    [
      'action        file      why',
      'would add     bls/pr/a  new',
      'would delete  bls/pr/b  gone',
      '',
      'fetch plan (dry run)',
      'would add             13',
      'would replace          1',
      'would delete           2',
      'unchanged              4',
      'upstream requests      2',
    ].join('\n'),
    'no bytes written in a plan',
  )
  t.match(renderFetchResult({...counts, dryRun: false, files}, {color: false}), /^add +bls\/pr\/a +new\n[^]*^fetch\n[^]*^bytes written +0 B$/m)

  t.equal(syncDirection('s3://b/raw/', '/tmp/raw'), 'download')
  t.equal(syncDirection('./data/raw', 's3://b/raw/'), 'upload')
  t.equal(syncDirection('./a', './b'), 'copy')
  t.equal(syncDirection('s3://a/', 's3://b/'), 'copy')
  const down = {dryRun: false, direction: 'download' as const, uploaded: 2, deleted: 1, unchanged: 3, kept: 0, failed: 0, bytes: 2000}
  const syncFiles = [{key: 'x', action: 'upload', reason: 'not in the target'}]
  const text = renderSyncResult({...down, files: syncFiles}, {color: false})
  t.match(text, /^download +x +not in the target$/m)
  t.match(text, /^downloaded +2$/m)
  t.match(text, /^bytes downloaded +2\.0 kB$/m)
  t.notMatch(text, /upload/)
  t.equal(syncLine(down), '2 downloaded, 1 deleted, 3 unchanged, 2.0 kB')
  const plan = renderSyncResult({...down, dryRun: true, files: syncFiles}, {color: false})
  t.match(plan, /^would download +x/m)
  t.match(plan, /^sync plan \(dry run\)\nwould download +2\nwould delete +1$/m)
  t.notMatch(plan, /bytes/)
  t.equal(syncLine({...down, dryRun: true, direction: 'copy'}), 'would copy 2, delete 1; 3 unchanged')
  t.equal(syncRows({...down, direction: 'copy'})[0]![0], 'copied')
})

t.test('fetch progress: counts, the download in flight with bytes and rate, retries at once', async (t) => {
  const seen: string[] = []
  let clock = 1000
  const on = fetchProgress({update: (text) => seen.push(`update ${text}`), warn: (text) => seen.push(`warn ${text}`), note: (text) => seen.push(`note ${text}`)}, () => clock)
  const events: FetchEvent[] = [
    {type: 'planned', counts: {add: 2, replace: 0, delete: 0, unchanged: 1, exclude: 0}},
    {type: 'warning', message: 'skipped a link'},
    {type: 'retry', url: 'http://x/pr.txt', attempt: 1, delayMs: 2000, reason: '503 Service Unavailable'},
    {type: 'progress', key: 'bls/pr/big', bytes: 0, total: 4_000_000},
  ]
  events.forEach(on)
  clock += 2000
  on({type: 'progress', key: 'bls/pr/big', bytes: 3_000_000, total: 4_000_000})
  on({type: 'file', file: {key: 'bls/pr/big', action: 'add', reason: 'new', bytes: 4_000_000}})
  t.same(seen, [
    'warn skipped a link',
    'note retrying http://x/pr.txt in 2.0s (503 Service Unavailable)',
    'update 0/3 files; bls/pr/big 0 B of 4.0 MB',
    'update 0/3 files; bls/pr/big 3.0 MB of 4.0 MB, 1.5 MB/s',
    'update 1/3 files, bls/pr/big',
  ])
})

t.test('tables of any size, decimal points aligned', async (t) => {
  const rows = Array.from({length: 130_000}, (_, i) => ({id: `S${i}`, value: i % 3 === 0 ? '-1.25' : i % 3 === 1 ? '7' : '16.5'}))
  // Past ~125,000 rows, spreading the cells into Math.max threw RangeError (call stack size).
  const text = renderTable(rows, [{header: 'id', value: (row) => row.id}, {header: 'value', value: (row) => row.value, align: 'decimal'}])
  const lines = text.split('\n')
  t.equal(lines.length, 130_001)
  t.same(lines.slice(0, 4), ['id       value', 'S0       -1.25', 'S1        7', 'S2       16.5'])
  t.equal(lines.at(-1), 'S129999  -1.25')
  t.equal(renderTable([{v: '1'}], [{header: 'a long header', value: (row) => row.v, align: 'decimal'}]), 'a long header\n            1')
})
