// The parallel scan against the single-threaded one: same result for any input and any cut.
// Each scan starts its workers (a tsx worker takes a few hundred ms to load), so the cases are few.
import {createHash} from 'node:crypto'
import {once} from 'node:events'
import {Readable} from 'node:stream'
import {MessageChannel} from 'node:worker_threads'

import t from 'tap'

import {type ByteReader, streamReader} from '../src/stores/store.js'
import {MAX_LINE_BYTES, type ScanOptions, type ScanResult, scanDataFile} from '../src/transform/bls-data.js'
import {prestartScanWorkers, scanDataFileParallel, serveScans} from '../src/transform/parallel-scan.js'
import {MergedSeries, type PackedSums, SeriesPacker} from '../src/transform/series-sums.js'
import {yearSums} from './helpers/year-sums.js'
import {dataFile, HEADER, QUEST_ROWS, UNICODE_SPACE_ROWS} from './helpers/bls-files.js'

const OPTIONS: ScanOptions = {key: 'bls/pr/k', seriesId: 'PRS30006032', period: 1}

/** The file as a stream of `chunk`-byte chunks (the store's chunks cut lines anywhere too). */
const streamOf = (bytes: Buffer, chunk: number) => async (): Promise<ByteReader> =>
  streamReader(Readable.from(Array.from({length: Math.ceil(bytes.length / chunk)}, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk))))

/** Year/sum pairs by year: pieces merged in another order list a series' years in another order, with the same sums. */
const byYear = (sums: ArrayLike<number>): number[][] => [...yearSums(sums)].sort(([a], [b]) => a! - b!)

/** A result with its series and years sorted, so two results compare whatever their insertion order. */
const comparable = (result: ScanResult): object => ({
  ...result,
  threads: undefined,
  series: [...result.series].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, {quarterly, annual}]) => [id, byYear(quarterly), byYear(annual)]),
})

async function both(text: string | Buffer, pieceBytes: number, options: Partial<ScanOptions> & {threads?: number; chunk?: number} = {}) {
  const bytes = Buffer.from(text)
  const {threads = 2, chunk = 5, ...scan} = options
  const single = await scanDataFile(await streamOf(bytes, chunk)(), {...OPTIONS, ...scan}).catch((error: Error) => error)
  const parallel = await scanDataFileParallel(streamOf(bytes, chunk), {...OPTIONS, ...scan, threads, pieceBytes}).catch((error: Error) => error)
  return {single, parallel}
}

t.test('pieces cut anywhere give the single-threaded result, on worker threads', async (t) => {
  const text = dataFile(QUEST_ROWS)
  for (const pieceBytes of [1, 41, 1000]) {
    const {single, parallel} = await both(text, pieceBytes)
    t.same(comparable(parallel as ScanResult), comparable(single as ScanResult), `pieces of ${pieceBytes} bytes`)
    t.equal((parallel as ScanResult).threads, 2, 'scanned on the workers, not rescanned')
  }
  // A CRLF split across pieces and chunks: every cut between the CR and the LF of each line.
  for (let chunk = 1; chunk <= 2; chunk++) {
    const {single, parallel} = await both(text, 3, {chunk})
    t.same(comparable(parallel as ScanResult), comparable(single as ScanResult), `chunks of ${chunk} bytes`)
  }
  // A file shorter than the thread count: one piece, the other workers get none.
  const tiny = `${HEADER}\nPRS30006032\t2019\tQ01\t1.5\n`
  const {single, parallel} = await both(tiny, 1 << 20, {threads: 4})
  t.same(comparable(parallel as ScanResult), comparable(single as ScanResult))
  t.equal((parallel as ScanResult).threads, 4)
  t.equal((parallel as ScanResult).rows, 1)
})

t.test('rejected rows keep their file line numbers, first five in file order; no final line end', async (t) => {
  const lines = [HEADER]
  for (let i = 0; i < 40; i++) lines.push(i % 7 === 3 ? `PRS1\t20x${i}\tQ01\t1` : i % 11 === 5 ? '' : `PRS${i % 3}\t${2000 + i}\tQ0${(i % 5) + 1}\t${i}.5`)
  const text = lines.join('\n')
  for (const pieceBytes of [1, 90]) {
    const {single, parallel} = await both(text, pieceBytes, {seriesId: 'PRS1'})
    t.same(comparable(parallel as ScanResult), comparable(single as ScanResult), `pieces of ${pieceBytes} bytes`)
    t.equal((single as ScanResult).rejected.count, 6)
    t.same((parallel as ScanResult).rejected.samples.map((row) => row.line), [5, 12, 19, 26, 33])
  }
})

t.test('a Unicode space beside a field rejects that row on the workers too, with the same reason and line', async (t) => {
  const text = dataFile(QUEST_ROWS) + UNICODE_SPACE_ROWS.map(([row]) => row).join('\r\n') + '\r\n' + dataFile(QUEST_ROWS, {header: ''}).slice(2)
  const {single, parallel} = await both(text, 50, {sampleSize: 100})
  t.same(comparable(parallel as ScanResult), comparable(single as ScanResult))
  t.equal((parallel as ScanResult).threads, 2, 'scanned on the workers, not rescanned')
  t.equal((parallel as ScanResult).rejected.count, UNICODE_SPACE_ROWS.length)
  ;(parallel as ScanResult).rejected.samples.forEach((sample, i) => {
    t.equal(sample.line, QUEST_ROWS.length + 2 + i)
    t.match(sample.reason, UNICODE_SPACE_ROWS[i]![1])
  })
  const strict = await both(text, 50, {strict: true})
  t.match((strict.parallel as Error).message, new RegExp(`line ${QUEST_ROWS.length + 2}: year "\u00a01997" is not a year \\(it holds U\\+00A0`))
  t.equal((strict.parallel as Error).message, (strict.single as Error).message)
})

t.test('what the pieces cannot settle is rescanned on one thread: the same outcome and message', async (t) => {
  const good = dataFile(QUEST_ROWS)
  const cases: [string, string | Buffer, Partial<ScanOptions>][] = [
    ['strict, a bad row late in the file', `${good}PRS1\t2000\tQ07\t1\r\n`, {strict: true}],
    // The first piece fails its worker while this thread waits for a free slot.
    ['strict, a bad row first in a long file', good.replace('\r\n', '\r\nPRS1\t2000\tQ07\t1\r\n') + dataFile(QUEST_ROWS).repeat(200), {strict: true}],
    ['a bad header', good.replace('period', 'peroid'), {}],
    ['header only', `${HEADER}\r\n`, {}],
    ['empty', '', {}],
    ['no line end at all', HEADER, {}],
    ['a line too long, inside a piece', `${good}${'9'.repeat(MAX_LINE_BYTES + 10)}\n`, {}],
    ['a line too long, with no end', `${good}${'9'.repeat(MAX_LINE_BYTES + 10)}`, {}],
    ['a header too long', 'x'.repeat(MAX_LINE_BYTES + 10), {}],
    ['a header longer than a slot', `${'x'.repeat(MAX_LINE_BYTES + 100)}\n${good}`, {}],
  ]
  for (const [name, text, options] of cases) {
    const {single, parallel} = await both(text, 64, {...options, chunk: 4096})
    t.ok(single instanceof Error, name)
    t.equal((parallel as Error).message, (single as Error).message, name)
  }
  // Sums whose pieces stay exact but whose running total would not, in file order: the rescan finds the line.
  const huge = Array.from({length: 12}, () => ['PRSX', 2000, 'Q01', '999999999999.999'] as [string, number, string, string])
  const {single, parallel} = await both(dataFile([...QUEST_ROWS, ...huge]), 64, {chunk: 64})
  t.match((single as Error).message, /line 23: the 2000 sum leaves the range of exact arithmetic/)
  t.equal((parallel as Error).message, (single as Error).message)
  // Big sums that cancel out stay exact on one thread, and so in parallel too.
  const cancelling = Array.from({length: 12}, (_, i) => ['PRSX', 2000, 'Q01', i % 2 ? '-999999999999.999' : '999999999999.999'] as [string, number, string, string])
  const balanced = await both(dataFile([...QUEST_ROWS, ...cancelling]), 64, {chunk: 64})
  t.same(comparable(balanced.parallel as ScanResult), comparable(balanced.single as ScanResult))
  // A stream that fails is that failure, not a rescan.
  const failing = async (): Promise<ByteReader> =>
    streamReader(
      new Readable({
        read() {
          this.destroy(new Error('connection reset'))
        },
      }),
    )
  await t.rejects(scanDataFileParallel(failing, {...OPTIONS, threads: 2}), /connection reset/)
})

/** A reader that gives nothing for `ms`: the workers are ready before the first piece is cut. */
const lateStart = (open: () => Promise<ByteReader>, ms: number) => async (): Promise<ByteReader> => {
  const reader = await open()
  let first = true
  return {
    read: async (into) => {
      if (first) await new Promise((resolve) => setTimeout(resolve, ms))
      first = false
      return reader.read(into)
    },
    close: () => reader.close(),
  }
}

t.test('ready workers take the pieces: a full pool is waited for, a worker that fails means a rescan', async (t) => {
  const text = Buffer.from(dataFile(QUEST_ROWS).repeat(400))
  const single = await scanDataFile(await streamOf(text, 4096)(), OPTIONS)
  // Three threads: two workers with their pieces in hand fill every slot, and this thread waits for an answer.
  let read = 0
  const parallel = await scanDataFileParallel(lateStart(streamOf(text, 4096), 1500), {...OPTIONS, threads: 3, pieceBytes: 512, onBytes: (bytes) => (read = bytes)})
  t.same(comparable(parallel), comparable(single))
  t.equal(parallel.threads, 3, 'not rescanned')
  t.equal(read, text.length, 'progress up to the last byte')
  // The first piece, in a worker's hands, holds a row strict mode refuses: the worker fails, the file is rescanned here.
  // A long file: this thread is still reading when the worker's failure arrives, and stops.
  const bad = Buffer.from(dataFile(QUEST_ROWS).replace('\r\n', '\r\nPRS1\t2000\tQ07\t1\r\n') + dataFile(QUEST_ROWS).repeat(2000))
  const message = (await scanDataFile(await streamOf(bad, 4096)(), {...OPTIONS, strict: true}).catch((error: Error) => error)) as Error
  const failed = await scanDataFileParallel(lateStart(streamOf(bad, 4096), 1500), {...OPTIONS, strict: true, threads: 2, pieceBytes: 64}).catch((error: Error) => error)
  t.equal((failed as Error).message, message.message)
  // Sums that stay exact in each scanner but not added up: the bound on them sends the file to a rescan.
  const huge = Array.from({length: 12}, () => ['PRSX', 2000, 'Q01', '999999999999.999'] as [string, number, string, string])
  const hugeText = Buffer.from(dataFile([...QUEST_ROWS, ...huge]))
  const exact = (await scanDataFile(await streamOf(hugeText, 64)(), OPTIONS).catch((error: Error) => error)) as Error
  const bounded = await scanDataFileParallel(lateStart(streamOf(hugeText, 64), 1500), {...OPTIONS, threads: 2, pieceBytes: 64}).catch((error: Error) => error)
  t.equal((bounded as Error).message, exact.message)
})

t.test('random files, random cuts: always the single-threaded result', async (t) => {
  let seed = 11
  const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!
  const ids = ['PRS1', 'PRS2', ' PRS1', 'PRS3 ', '', 'PRS4']
  const values = ['1', '-2.5', '+0.125', '.5', '7.', '-', '1.2345', 'abc', ' 3.25 ']
  for (let round = 0; round < 6; round++) {
    const eol = pick(['\n', '\r\n'])
    const lines = Array.from({length: 50 + random(150)}, () =>
      random(15) === 0 ? '' : [pick(ids), pick(['2000', '2001', '2002', '20x1']), pick(['Q01', 'Q02', 'Q05', 'Q9']), pick(values), ''].join('\t'),
    )
    const text = [HEADER, ...lines].join(eol) + (random(2) ? eol : '')
    const pieceBytes = 1 + random(300)
    const {single, parallel} = await both(text, pieceBytes, {seriesId: 'PRS1', threads: 2 + random(2), chunk: 1 + random(64)})
    t.same(comparable(parallel as ScanResult), comparable(single as ScanResult), `round ${round}: ${lines.length} lines, pieces of ${pieceBytes}`)
  }
})

t.test('the worker side, on this thread: a piece answered with its lines, the sums packed at the end', async (t) => {
  const {port1, port2} = new MessageChannel()
  const memory = new SharedArrayBuffer(100)
  const bytes = Buffer.from('PRS1\t2000\tQ01\t1.5\r\nPRS1\t2000\tQ05\t2\r\nbad\r\nPRS1\t2001\tQ02\t-1')
  bytes.copy(Buffer.from(memory), 7)
  serveScans(port2)
  port1.postMessage({setup: {...OPTIONS, seriesId: 'PRS1', memory}})
  t.same(await once(port1, 'message'), ['ready'], 'ready once it has its setup, before the header')
  port1.postMessage({header: HEADER})
  port1.postMessage({index: 3, start: 7, end: 7 + bytes.length})
  const [piece] = (await once(port1, 'message')) as [{index: number; lines: number; rejectedCount: number; picked: unknown[]}]
  t.match(piece, {index: 3, lines: 4, rejectedCount: 1, picked: [{year: 2000, value: 1500}]})
  // Ranges hashed in the order sent, each acknowledged with the count so far; the MD5 at the end.
  port1.postMessage({hash: [7, 20]})
  t.same(await once(port1, 'message'), [{hashed: 1}])
  port1.postMessage({hash: [20, 7 + bytes.length]})
  t.same(await once(port1, 'message'), [{hashed: 2}])
  port1.postMessage('end')
  const [{done, md5}] = (await once(port1, 'message')) as [{done: {series: PackedSums; rows: number; maxAbsSum: number}; md5: string}]
  t.match(done, {series: {ids: 'PRS1'}, rows: 3, maxAbsSum: 2000})
  t.equal(md5, createHash('md5').update(bytes).digest('hex'))
  const first = new SeriesPacker()
  first.add('PRS1', {quarterly: [2000, 500], annual: []})
  const merged = new MergedSeries()
  merged.add(first.packed())
  merged.add(done.series)
  t.same(merged.get('PRS1'), {quarterly: [2000, 2000, 2001, -1000], annual: []})
  port1.close()
})

t.test('workers started ahead of the scan are the ones it takes, and keep no process alive meanwhile', async (t) => {
  const text = Buffer.from(dataFile(QUEST_ROWS).repeat(50))
  const single = await scanDataFile(await streamOf(text, 4096)(), OPTIONS)
  t.equal(prestartScanWorkers(2).length, 2)
  t.equal(prestartScanWorkers(2).length, 0, 'no more than asked for')
  // Given time to start, they are ready when the scan needs them.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const parallel = await scanDataFileParallel(streamOf(text, 4096), {...OPTIONS, threads: 3, pieceBytes: 512})
  t.same(comparable(parallel), comparable(single))
  t.equal(parallel.threads, 3)
  // One that failed while it waited is replaced by a fresh one.
  const [failing] = prestartScanWorkers(1)
  t.equal(prestartScanWorkers(1).length, 0, 'the scan took both before')
  failing!.emit('error', new Error('its script is gone'))
  const replaced = await scanDataFileParallel(streamOf(text, 4096), {...OPTIONS, threads: 2, pieceBytes: 512})
  t.same(comparable(replaced), comparable(single))
  t.equal(replaced.threads, 2, 'scanned on a fresh worker, not rescanned')
  // A process whose prestarted worker is never used exits at once (the built module, its coverage
  // not collected: mapped back to the sources, it would not merge with theirs, as test/helpers/cli.ts).
  const {spawnSync} = await import('node:child_process')
  const script = `import('${new URL('../dist/transform/parallel-scan.js', import.meta.url).href}').then((m) => m.prestartScanWorkers(1))`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', timeout: 20_000, env: {...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0'}})
  t.equal(child.status, 0, child.stderr)
})
