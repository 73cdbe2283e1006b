// The Parquet writer (src/reports/parquet.ts) read back by an independent reader: DuckDB, its rows,
// types, statistics and key-value metadata, on the cells that are easy to get wrong.
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {DuckDBInstance} from '@duckdb/node-api'
import t from 'tap'

import type {FlatColumn, FlatTable} from '../src/reports/flat-files.js'
import {flatParquet, ROW_GROUP_ROWS} from '../src/reports/parquet.js'
import {removeTempDirs, tempDir} from './helpers/bls-files.js'

t.teardown(removeTempDirs)

const db = await DuckDBInstance.create(':memory:')
const duck = await db.connect()
t.teardown(() => {
  duck.closeSync()
  db.closeSync()
})

type Cell = string | number | null

async function written(table: FlatTable): Promise<string> {
  const file = path.join(await tempDir(), `${table.report}.parquet`)
  await writeFile(file, flatParquet(table))
  return file
}

const rowsOf = async (file: string): Promise<Record<string, unknown>[]> =>
  (await duck.runAndReadAll(`select * from read_parquet('${file}')`)).getRowObjectsJson() as Record<string, unknown>[]

/** DuckDB's JSON of a cell as the value written (decimals come back as text, BIGINT as text). */
const asWritten = (value: unknown, type: FlatColumn['type']): Cell => {
  if (value === null) return null
  return type === 'string' ? (value as string) : Number(value)
}

/** UTF-8 byte order: Parquet's order for UTF8 columns. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** Each column's min and max as DuckDB reports them from the footer, per row group. */
async function statistics(file: string): Promise<Record<string, {min: string | null; max: string | null; nulls: number}>[]> {
  const rows = (
    await duck.runAndReadAll(
      `select row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count from parquet_metadata('${file}') order by row_group_id, column_id`,
    )
  ).getRowObjectsJson()
  const groups: Record<string, {min: string | null; max: string | null; nulls: number}>[] = []
  for (const row of rows) {
    const group = (groups[Number(row.row_group_id)] ??= {})
    group[String(row.path_in_schema)] = {min: row.stats_min_value as string | null, max: row.stats_max_value as string | null, nulls: Number(row.stats_null_count)}
  }
  return groups
}

const table = (columns: FlatColumn[]): FlatTable => ({report: 'best_year_by_series', columns, rows: columns[0]!.values.length})

t.test('every column type, nulls in runs, text beyond ASCII: DuckDB reads back each cell, type and statistic', async (t) => {
  const text = ['PRS30006011', 'é', 'zz', null, null, '中文', '😀 emoji', '\uffff high BMP', '', 'a,"b"', null, 'éa€']
  const columns: FlatColumn[] = [
    {name: 'text', type: 'string', values: text},
    {name: 'ascii', type: 'string', values: ['b', 'a', null, 'c', 'ab', 'b', 'a', 'a', null, 'z', 'y', 'x']},
    {name: 'int32', type: 'int32', values: [2024, -1, 0, null, 2 ** 31 - 1, -(2 ** 31), 7, 7, 7, null, 1, 2]},
    {name: 'int64', type: 'int64', values: [2 ** 32, -(2 ** 32) - 5, 327_167_439, null, 2 ** 53 - 1, -(2 ** 53) + 1, 0, -1, 1, 4_294_967_295, null, 12]},
    {name: 'double', type: 'double', values: [1.5, -0, 0.1 + 0.2, null, -1e300, 5e-324, 3, 3, 3, 3, 3, 2]},
    {name: 'decimal', type: 'decimal', values: [-1.7, 105.125, 0, null, -0.001, 123_456_789_012.345, 0.001, 1, 2, 3, null, -99.999]},
  ]
  const file = await written(table(columns))
  const described = (await duck.runAndReadAll(`describe select * from read_parquet('${file}')`)).getRowObjectsJson()
  t.same(
    described.map((row) => [row.column_name, row.column_type]),
    [['text', 'VARCHAR'], ['ascii', 'VARCHAR'], ['int32', 'INTEGER'], ['int64', 'BIGINT'], ['double', 'DOUBLE'], ['decimal', 'DECIMAL(18,3)']],
  )
  const rows = await rowsOf(file)
  for (const {name, type, values} of columns) {
    t.same(rows.map((row) => asWritten(row[name], type)), values, `${name}: every cell`)
  }
  t.ok(Object.is(Number(rows[1]!.double), -0) || Number(rows[1]!.double) === 0, 'a signed zero reads back as zero')

  const [stats] = await statistics(file)
  for (const {name, type, values} of columns) {
    const present = values.filter((value) => value !== null)
    const sorted = type === 'string' ? (present as string[]).sort(byteOrder) : (present as number[]).sort((a, b) => a - b)
    const shown = (value: Cell | undefined): string => (type === 'string' ? String(value) : String(Number(value)))
    t.equal(stats![name]!.nulls, values.length - present.length, `${name}: null count`)
    // DuckDB shows string statistics as text, numbers as its own text of the value.
    t.equal(type === 'string' ? stats![name]!.min : String(Number(stats![name]!.min)), shown(sorted[0]), `${name}: min`)
    t.equal(type === 'string' ? stats![name]!.max : String(Number(stats![name]!.max)), shown(sorted.at(-1)), `${name}: max`)
  }
  t.equal(stats!.text!.max, '😀 emoji', 'byte order, not UTF-16 order: a character beyond U+FFFF sorts after U+FFFF')

  const kv = (await duck.runAndReadAll(`select decode(key) as key, decode(value) as value from parquet_kv_metadata('${file}')`)).getRowObjectsJson()
  t.same(kv, [{key: 'dataquest.report', value: 'best_year_by_series'}])
  const created = (await duck.runAndReadAll(`select created_by from parquet_file_metadata('${file}')`)).getRowObjectsJson()
  t.same(created, [{created_by: 'dataquest'}])
})

t.test('a column of text that is ASCII but for its last cell, where the bytes it is short of would hide it', async (t) => {
  // `éa€` is 3 characters: written into the 3 + 1 bytes an ASCII column would have left, UTF-8 fits `éa` (3 bytes).
  for (const last of ['éa€', 'é', '€', '😀']) {
    const values = ['abc', 'de', last]
    const file = await written(table([{name: 's', type: 'string', values}]))
    t.same((await rowsOf(file)).map((row) => row.s), values, JSON.stringify(last))
  }
})

t.test('all nulls, no rows: the schema stands', async (t) => {
  const nulls = await written(table([{name: 's', type: 'string', values: [null, null]}, {name: 'n', type: 'int32', values: [null, null]}]))
  t.same(await rowsOf(nulls), [{s: null, n: null}, {s: null, n: null}])
  const [stats] = await statistics(nulls)
  t.same(stats, {s: {min: null, max: null, nulls: 2}, n: {min: null, max: null, nulls: 2}})

  const empty = await written(table([{name: 's', type: 'string', values: []}, {name: 'v', type: 'decimal', values: []}]))
  t.same(await rowsOf(empty), [])
  const described = (await duck.runAndReadAll(`describe select * from read_parquet('${empty}')`)).getRowObjectsJson()
  t.same(described.map((row) => row.column_type), ['VARCHAR', 'DECIMAL(18,3)'])
})

t.test('more rows than a row group: several groups, each with its own statistics, read back in order', async (t) => {
  const rows = ROW_GROUP_ROWS + 7
  const ids = Array.from({length: rows}, (_, i) => `S${String(i).padStart(7, '0')}`)
  const years = Array.from({length: rows}, (_, i) => (i % 5 === 0 ? null : 1900 + (i % 200)))
  const file = await written(table([{name: 'series_id', type: 'string', values: ids}, {name: 'year', type: 'int32', values: years}]))
  const back = (await duck.runAndReadAll(`select series_id, year from read_parquet('${file}')`)).getRows()
  t.equal(back.length, rows)
  t.ok(back.every(([id, year], i) => id === ids[i] && year === years[i]), 'every row, in order')
  const groups = await statistics(file)
  t.equal(groups.length, 2)
  t.same(groups.map((group) => [group.series_id!.min, group.series_id!.max]), [[ids[0], ids[ROW_GROUP_ROWS - 1]], [ids[ROW_GROUP_ROWS], ids.at(-1)]])
  t.same(groups.map((group) => group.year!.nulls), [ROW_GROUP_ROWS / 5, 2])
  const one = (await duck.runAndReadAll(`select count(*)::int as n from read_parquet('${file}') where series_id = '${ids.at(-1)}'`)).getRowObjectsJson()
  t.same(one, [{n: 1}], 'a filter that skips a group by its statistics still finds the row')
})

t.test('NaN is a value but no bound; a zero bound is written as the spec signs it', async (t) => {
  const file = await written(table([{name: 'd', type: 'double', values: [Number.NaN, 2, 0, null]}, {name: 'i', type: 'int32', values: [0, 0, 0, 0]}]))
  const rows = await rowsOf(file)
  t.ok(Number.isNaN(Number(rows[0]!.d)), 'NaN reads back as NaN')
  t.same(rows.slice(1).map((row) => row.d), [2, 0, null])
  const [stats] = await statistics(file)
  t.same([Number(stats!.d!.min), Number(stats!.d!.max)], [0, 2], 'NaN is neither min nor max')
  t.same([Number(stats!.i!.min), Number(stats!.i!.max)], [0, 0])
})

t.test('the same table gives the same bytes', async (t) => {
  const make = (): FlatTable => table([{name: 's', type: 'string', values: ['a', null, 'b']}, {name: 'v', type: 'decimal', values: [1.5, 2, null]}])
  t.same(Buffer.from(flatParquet(make())), Buffer.from(flatParquet(make())))
})
