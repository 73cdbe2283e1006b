// The scanner's WebAssembly rows (src/transform/quick-lines.wat) on their own; the scanner's
// tests (transform*.test.ts) hold the whole scan to the single-threaded JavaScript result.
import {readFileSync} from 'node:fs'
import {Readable} from 'node:stream'

import t from 'tap'

import {quickLinesModule} from '../scripts/build-wasm.js'
import {streamReader} from '../src/stores/store.js'
import {scanDataFile} from '../src/transform/bls-data.js'
import {QuickLines} from '../src/transform/quick-lines.js'

t.test('the committed module is the .wat assembled (npm run build:wasm)', async (t) => {
  const wat = readFileSync(new URL('../src/transform/quick-lines.wat', import.meta.url), 'utf8')
  const committed = readFileSync(new URL('../src/transform/quick-lines-wasm.ts', import.meta.url), 'utf8')
  t.equal(committed, await quickLinesModule(wat), 'run `npm run build:wasm` after editing quick-lines.wat')
})

const SERIES = Buffer.from('PRS1      ')
const row = (year: string, period: string, value: string, tail = '\t\r\n'): string => `${SERIES.toString()}\t${year}\tQ0${period}\t${value}${tail}`

t.test('rows of the series in hand, up to the first line it leaves to JavaScript', async (t) => {
  const quick = new QuickLines()
  const text = [row('2000', '1', '     2.6'), row('2000', '5', '-0'), row('2001', '2', '+12.125', '\n'), row('2001', '3', '1.2345'), row('2002', '1', '1')].join('')
  quick.load(Buffer.from(text))
  t.equal(quick.rows(0), 0, 'no series yet: nothing')
  quick.series(SERIES)
  t.equal(quick.rows(0), 3, 'stops at four decimals')
  t.same([...quick.years.subarray(0, 3)], [2000 * 8 + 1, 2000 * 8 + 5, 2001 * 8 + 2])
  t.same([...quick.values.subarray(0, 3)], [2600, -0, 12125])
  t.ok(Object.is(quick.values[1], -0), 'a negative zero stays one, as JavaScript reads it')
  t.equal(text.slice(quick.stop, quick.stop + SERIES.length), SERIES.toString(), 'stops at the start of the line')
  // The last line has no line end in the bytes loaded: left for the next piece.
  const last = text.indexOf(row('2002', '1', '1'))
  t.equal(quick.rows(last), 1)
  quick.load(Buffer.from(text.slice(0, -2)))
  t.equal(quick.rows(last), 0, 'a line cut short is not taken')
  t.equal(quick.stop, last)
})

t.test('a series field longer than it holds, and bytes beyond its memory', async (t) => {
  const quick = new QuickLines()
  const long = Buffer.from(`PRS${'x'.repeat(300)}`)
  quick.series(long)
  quick.load(Buffer.from(`${long.toString()}\t2000\tQ01\t1\n`))
  t.equal(quick.rows(0), 0, 'left to quickLine')
  // Four MB of rows: the memory grows, and every row is read.
  quick.series(SERIES)
  const rows = Math.ceil((4 * 1024 * 1024) / row('2000', '1', '1').length)
  quick.load(Buffer.from(row('2000', '1', '1').repeat(rows)))
  let total = 0
  for (let start = 0, count; (count = quick.rows(start)) > 0; start = quick.stop) total += count
  t.equal(total, rows)
})

t.test('lines it leaves to JavaScript are read there as before: more than 15 figures, spaces and a CR after the value', async (t) => {
  const rows = ['1', '00000000000000002.5  ', '0000000000000000000.25', '4 \r']
  const text = `series_id\tyear\tperiod\tvalue\n${rows.map((value, i) => `PRS1\t2000\tQ0${i + 1}\t${value}\n`).join('')}`
  const result = await scanDataFile(streamReader(Readable.from([Buffer.from(text)])), {key: 'k', seriesId: 'PRS1', period: 2})
  t.equal(result.rows, 4)
  t.equal(result.rejected.count, 0)
  t.same(Array.from(result.series.get('PRS1')!.quarterly), [2000, 1000 + 2500 + 250 + 4000])
  t.same(result.picked, [{year: 2000, value: 2500}])
})
