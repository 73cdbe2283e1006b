// `dataquest query` on the real pr snapshot (fixtures/) plus a small self-made second survey:
// the views' rows are the files' data lines, a query reproduces transform's best-year report, the
// store is never written, damaged bytes are refused, and bad input exits 2 with one line.
import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import t from 'tap'

import Query from '../src/commands/query.js'
import {querySchema, runQuery} from '../src/query/index.js'
import {columnNames, kindOf, viewColumns} from '../src/query/sql.js'
import {renderQueryResult} from '../src/render/query.js'
import {FolderStore, MANIFEST_NAME} from '../src/stores/folder.js'
import {transformStores} from '../src/transform/index.js'
import {dataFile, NATION, populationCurrent, removeTempDirs, tempDir} from './helpers/bls-files.js'
import {runCommand} from './helpers/cli.js'
import {loadSnapshot} from './helpers/upstream.js'

t.teardown(removeTempDirs)

/** The second survey: two data files, a series file, a lookup with a name that is not an identifier, and prose. */
const ZZ: Record<string, string> = {
  'zz.data.0.Current': dataFile([
    ['ZZU001', 2020, 'M01', '1.5'],
    ['ZZU001', 2020, 'M02', '-2.25'],
    ['ZZU002', 2021, 'M13', '100'],
  ]),
  'zz.data.1.Extra': dataFile([['ZZU002', 2019, 'M13', 'n/a']], {eol: '\n'}),
  'zz.series': 'series_id   \tarea_code\tseries_title\r\nZZU001      \tA1\tFirst, "quoted" title\r\nZZU002      \tB2\t\r\n',
  'zz.area-Type': 'area_type_code\tarea_type_text\r\nA\tState\r\n\r\n',
  'zz.area_type': 'other\tcolumns\r\n',
  'zz.data.2.Odd': 'a\tb\r\n1\t2\r\n',
  'zz.txt': 'Read me: no tabs here\r\n',
  'notes.md': 'not a survey file\n',
  'zz.blob': 'x'.repeat(70_000),
}

const raw = new FolderStore(await tempDir())
const processed = new FolderStore(await tempDir())
const snapshot = await loadSnapshot()
for (const file of snapshot) await raw.write(`bls/pr/${file.name}`, file.body)
for (const [name, body] of Object.entries(ZZ)) await raw.write(`bls/zz/${name}`, body)
await raw.write('datausa/population.json', populationCurrent(NATION))
await raw.write('bls/README', 'beside the survey folders: no view\n')
await raw.write('bls/zz/old/zz.series', 'series_id\tx\nA\t1\n')
const transformed = await transformStores({raw, processed, threads: 1})
const store = {raw, processed}

/** Non-blank lines after the header: what a view must hold. */
const dataLines = (body: string | Buffer): number => String(body).split('\n').slice(1).filter((line) => line.trim() !== '').length

/** Every file of a folder (bookkeeping included) with its bytes and mtime. */
async function snapshotOf(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(root, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    files[path.relative(root, file)] = `${(await stat(file)).mtimeMs} ${(await readFile(file)).toString('base64')}`
  }
  return files
}

const query = (sql: string) => runQuery(sql, store)
const column = async (sql: string): Promise<unknown[]> => (await query(sql)).rows.map((row) => row[0])

t.test('file kinds: data files as one, other tables by their name, columns from the header', async (t) => {
  t.equal(kindOf('pr', 'pr.data.0.Current'), 'data')
  t.equal(kindOf('pr', 'pr.series'), 'series')
  t.equal(kindOf('zz', 'zz.area-Type'), 'area_type')
  t.equal(kindOf('pr', 'cu.series'), undefined, "another survey's file")
  t.equal(kindOf('pr', 'pr.'), undefined)
  t.equal(kindOf('pr', 'pr.data'), undefined, 'reserved for the data files')
  t.same(columnNames(['series_id  ', ' Year', '', '2nd', 'year']), ['series_id', 'year', 'c3', 'c_2nd', 'year_2'])
})

t.test('every view holds every data line of its files, and nothing else', async (t) => {
  const byFile = await query('SELECT file, count(*) FROM pr_data GROUP BY file ORDER BY file')
  t.same(byFile.rows, [
    ['pr.data.0.Current', dataLines(snapshot.find((f) => f.name === 'pr.data.0.Current')!.body)],
    ['pr.data.1.AllData', dataLines(snapshot.find((f) => f.name === 'pr.data.1.AllData')!.body)],
  ])
  t.equal(byFile.rows[0]![1], 35_817, 'the real Current file: 35,817 rows')
  for (const name of ['series', 'class', 'duration', 'footnote', 'measure', 'period', 'seasonal', 'sector']) {
    const body = snapshot.find((f) => f.name === `pr.${name}`)!.body
    t.same(await column(`SELECT count(*) FROM pr_${name}`), [dataLines(body)], `pr_${name}`)
  }
  t.same(await column('SELECT count(*) FROM zz_data'), [4])
  t.same(await column('SELECT count(*) FROM zz_series'), [2])
  t.same(await column('SELECT count(*) FROM zz_area_type'), [1], 'the blank last line is no row')
})

t.test('ids and text trimmed, year an integer, value a decimal (NULL when not a number), the file named', async (t) => {
  const current = String(snapshot.find((f) => f.name === 'pr.data.0.Current')!.body)
  const lines32 = current.split('\n').filter((line) => line.startsWith('PRS30006032 ')).length
  t.ok(lines32 > 100)
  t.same(await column("SELECT count(*) FROM pr_data WHERE series_id = 'PRS30006032' AND file = 'pr.data.0.Current'"), [lines32], 'no trim() needed')
  const zz = await query('SELECT * FROM zz_data ORDER BY file, series_id, period')
  t.same(zz.columns.map(({name, type}) => `${name} ${type}`), ['series_id varchar', 'year integer', 'period varchar', 'value decimal(18,3)', 'footnote_codes varchar', 'file varchar'])
  t.same(zz.rows, [
    ['ZZU001', 2020, 'M01', 1.5, null, 'zz.data.0.Current'],
    ['ZZU001', 2020, 'M02', -2.25, null, 'zz.data.0.Current'],
    ['ZZU002', 2021, 'M13', 100, null, 'zz.data.0.Current'],
    ['ZZU002', 2019, 'M13', null, null, 'zz.data.1.Extra'],
  ])
  t.same((await query('SELECT * FROM zz_series ORDER BY series_id')).rows, [
    ['ZZU001', 'A1', 'First, "quoted" title'],
    ['ZZU002', 'B2', null],
  ], 'quotes are text, an empty cell NULL')
  t.same(await column("SELECT measure_text FROM pr_series JOIN pr_measure USING (measure_code) WHERE series_id = 'PRS30006032'"), ['Hours worked'], 'lookups join on trimmed codes')
  t.same(await column('SELECT sum(value) FROM zz_data'), [99.25], 'exact decimal sums')
})

t.test('a query reproduces the best-year report transform computes (every series of pr.data.0.Current)', async (t) => {
  const sql = `
    WITH d AS (SELECT * FROM pr_data WHERE file = 'pr.data.0.Current'),
    annual AS (SELECT series_id FROM d GROUP BY series_id HAVING bool_and(period = 'Q05')),
    scored AS (
      SELECT series_id, year, sum(value) AS value, 'quarterly' AS basis FROM d
      WHERE period IN ('Q01', 'Q02', 'Q03', 'Q04') AND series_id NOT IN (SELECT series_id FROM annual) GROUP BY series_id, year
      UNION ALL
      SELECT series_id, year, value, 'annual' FROM d WHERE period = 'Q05' AND series_id IN (SELECT series_id FROM annual))
    SELECT series_id, year, value, basis FROM scored
    QUALIFY row_number() OVER (PARTITION BY series_id ORDER BY value DESC, year) = 1
    ORDER BY series_id`
  const report = transformed.reports.find((r) => r.report === 'best_year_by_series')!
  const expected = report.rows.map(({series_id, year, value, basis}) => [series_id, year, value, basis])
  const result = await query(sql)
  t.equal(result.rows.length, 282)
  t.same(result.rows, expected)
  t.same(
    await column("SELECT value FROM pr_data WHERE series_id = 'PRS30006011' AND year = 1995 AND period = 'Q01' AND file = 'pr.data.0.Current'"),
    [2.6],
  )
  const table = await query('SELECT * FROM best_year_by_series ORDER BY series_id')
  t.same(
    table.rows,
    report.rows.map((row) => [row.series_id, row.year, row.value, row.basis, row.title ?? null]),
    'the report as a table',
  )
  const stats = await query('SELECT count, mean, years FROM population_stats')
  const {result: expectedStats} = transformed.reports.find((r) => r.report === 'population_stats')!
  t.same(stats.rows, [[expectedStats.count, expectedStats.mean, expectedStats.years]])
  t.same(await column('SELECT count(*) FROM series_population'), [transformed.reports.find((r) => r.report === 'series_population')!.rows.length])
})

t.test('--schema: the views with the columns deploy declares to Athena, and the report tables', async (t) => {
  const schema = await querySchema(store)
  t.same(
    schema.relations.map((r) => `${r.name} ${r.kind}`),
    [
      'best_year_by_series table',
      'population_stats table',
      'pr_class view',
      'pr_data view',
      'pr_duration view',
      'pr_footnote view',
      'pr_measure view',
      'pr_period view',
      'pr_seasonal view',
      'pr_sector view',
      'pr_series view',
      'series_population table',
      'zz_area_type view',
      'zz_data view',
      'zz_series view',
    ],
  )
  const data = schema.relations.find((r) => r.name === 'pr_data')!
  t.same(data.columns, viewColumns({survey: 'pr', kind: 'data', columns: []}), "DuckDB's types are those Athena's view declares")
  t.same(data.files, ['bls/pr/pr.data.0.Current', 'bls/pr/pr.data.1.AllData'])
  t.same(schema.skipped, [
    {key: 'bls/pr/pr.contacts', reason: 'not a tab-separated table'},
    {key: 'bls/pr/pr.txt', reason: 'not a tab-separated table'},
    {key: 'bls/zz/notes.md', reason: 'not named zz.<name>'},
    {key: 'bls/zz/zz.area_type', reason: 'zz.area-Type already makes the view zz_area_type'},
    {key: 'bls/zz/zz.blob', reason: 'not a tab-separated table'},
    {key: 'bls/zz/zz.data.2.Odd', reason: 'its header is not series_id, year, period, value, footnote_codes'},
    {key: 'bls/zz/zz.txt', reason: 'not a tab-separated table'},
  ])

  const printed = await runCommand(Query, ['--schema', '--raw', raw.root, '--processed', processed.root])
  t.equal(printed.exitCode, 0, printed.stderr)
  t.match(printed.stdout, /^name +kind +columns +files\n/)
  t.match(printed.stdout, /^pr_data +view +series_id varchar, year integer, period varchar, value decimal\(18,3\), footnote_codes varchar, file varchar +bls\/pr\/pr\.data\.0\.Current bls\/pr\/pr\.data\.1\.AllData$/m)
  const json = await runCommand(Query, ['--schema', '--json', '--raw', raw.root, '--processed', processed.root])
  t.same(JSON.parse(json.stdout), JSON.parse(JSON.stringify(schema)))
})

t.test('a query reads the store and never writes it, whatever the SQL asks', async (t) => {
  const before = await snapshotOf(raw.root)
  const processedBefore = await snapshotOf(processed.root)
  const target = path.join(raw.root, 'bls/pr/written.csv')
  for (const sql of [
    'SELECT count(*) FROM pr_data',
    `COPY (SELECT 1) TO '${target}'`,
    "CREATE TABLE pr_x AS SELECT 1",
    "INSERT INTO best_year_by_series VALUES ('x', 1, 1, 'annual', NULL)",
    "ATTACH 'x.db'",
    "SET threads = 1",
  ]) {
    await runCommand(Query, [sql, '--raw', raw.root, '--processed', processed.root])
  }
  t.same(await snapshotOf(raw.root), before, 'raw: every byte and mtime as before, no manifest or lock written')
  t.same(await snapshotOf(processed.root), processedBefore)
})

t.test('the command: formats, --limit, --file, --json', async (t) => {
  const args = ['--raw', raw.root, '--processed', processed.root]
  const sql = 'SELECT series_id, year, value FROM zz_data ORDER BY file, series_id, period'
  const table = await runCommand(Query, [sql, ...args, '--limit', '2'])
  t.equal(table.exitCode, 0, table.stderr)
  t.equal(table.stdout, 'series_id  year   value\nZZU001     2020   1.500\nZZU001     2020  -2.250\n… 2 more rows not shown; --limit 0 shows all\n')
  t.equal(table.stderr, '', 'every file read was verified: nothing to warn about')

  const csv = await runCommand(Query, [sql, ...args, '--format', 'csv'])
  t.equal(csv.stdout, 'series_id,year,value\nZZU001,2020,1.5\nZZU001,2020,-2.25\nZZU002,2021,100\nZZU002,2019,\n')
  const lines = await runCommand(Query, [sql, ...args, '--format', 'json', '--limit', '2'])
  t.same(lines.stdout.trim().split('\n').map((line) => JSON.parse(line)), [
    {series_id: 'ZZU001', year: 2020, value: 1.5},
    {series_id: 'ZZU001', year: 2020, value: -2.25},
  ])
  const markdown = await runCommand(Query, ["SELECT seasonal_code, seasonal_text FROM pr_seasonal ORDER BY 1", ...args, '--format', 'markdown'])
  t.equal(markdown.stdout, '| seasonal_code | seasonal_text |\n| --- | --- |\n| S | Seasonal Adjusted |\n| U | Not Seasonally Adjusted |\n')

  const file = path.join(await tempDir(), 'q.sql')
  await writeFile(file, '-- the years of one series\nSELECT min(year) AS first, max(year) AS last, [1, 2] AS list, 2::bigint AS big FROM pr_data\nWHERE series_id = \'PRS30006032\';\n')
  const fromFile = await runCommand(Query, ['--file', file, ...args, '--json'])
  t.equal(fromFile.exitCode, 0, fromFile.stderr)
  const json = JSON.parse(fromFile.stdout)
  t.same(json.rows, [{first: 1987, last: 2024, list: [1, 2], big: 2}])
  t.same(json.columns.map((c: {type: string}) => c.type), ['integer', 'integer', 'integer[]', 'bigint'])
  t.match(json.verified, {files: 2, unknown: []})
  t.ok(json.verified.bytes > 1_500_000, 'the two data files were hashed')

  t.equal(await renderQueryResult({columns: [{name: 'x', type: 'varchar'}], rows: [[null]]}, 'table'), 'x\n', 'NULL prints as nothing')
  const struct = await runCommand(Query, ["SELECT {'a': 1} AS s, true AS b", ...args, '--format', 'csv'])
  t.equal(struct.stdout, 's,b\n"{""a"":1}",true\n', 'structs as JSON text')
  const big = await runCommand(Query, ['SELECT 9007199254740993::BIGINT AS big, 7::BIGINT AS small', ...args, '--json'])
  t.same(JSON.parse(big.stdout).rows, [{big: '9007199254740993', small: 7}], 'a number only where it is exact')
})

t.test('bad input: one line, exit 2 for wrong SQL or usage, 1 for failures', async (t) => {
  const args = ['--raw', raw.root, '--processed', processed.root]
  const cases: [string[], number, RegExp][] = [
    [['selec 1', ...args], 2, /^Error: Parser Error: syntax error at or near "selec"; `dataquest query --schema` lists the views/],
    [['SELECT * FROM pr_dat', ...args], 2, /Catalog Error: Table with name pr_dat does not exist! Did you mean "pr_data"\?/],
    [['SELECT nope FROM pr_series', ...args], 2, /^Error: Binder Error: Referenced column "nope" not found/],
    [['SELECT 1; SELECT 2', ...args], 2, /the SQL holds 2 statements; dataquest query runs one SELECT/],
    [[' ;', ...args], 2, /the SQL holds no statement/],
    [[`COPY (SELECT 1) TO '/tmp/x.csv'`, ...args], 2, /runs SELECT \(or EXPLAIN\) only, never COPY: the mirror is read, not written/],
    [["SELECT CAST('x' AS INTEGER)", ...args], 1, /^Error: Conversion Error: Could not convert string 'x' to INT32\n$/],
    [[...args], 2, /give the SQL to run as an argument, or --file q\.sql, or --schema/],
    [['SELECT 1', '--schema', ...args], 2, /one of them/],
    [['--file', '/nonexistent/q.sql', ...args], 2, /--file \/nonexistent\/q\.sql: no such file/],
    [['--file', raw.root, ...args], 2, /--file .*: EISDIR/],
    [['SELECT 1', '--raw', 's3://bucket/raw/'], 2, /reads a folder; s3:\/\/bucket\/raw\/ is not one: copy it first \(dataquest sync --from s3:\/\/bucket\/raw\/ --to \.\/data\/raw\)/],
    [['SELECT 1', '--raw', '/nonexistent/raw', '--processed', '/nonexistent/processed'], 1, /no survey in \/nonexistent\/raw .*run `dataquest fetch` first/],
  ]
  for (const [argv, exit, message] of cases) {
    const result = await runCommand(Query, argv)
    t.equal(result.exitCode, exit, argv.join(' '))
    t.match(result.stderr, message, argv.join(' '))
    t.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`)
    t.equal(result.stdout, '')
  }
  const json = await runCommand(Query, ['selec 1', ...args, '--json'])
  t.equal(json.exitCode, 2)
  t.match(JSON.parse(json.stdout), {error: {message: /Parser Error/}})
  const explain = await runCommand(Query, ['EXPLAIN SELECT * FROM pr_class', ...args])
  t.equal(explain.exitCode, 0, 'EXPLAIN reads nothing it may not')
})

t.test('damaged bytes (same size and mtime, other content) are refused; files without a recorded MD5 are named', async (t) => {
  const copy = new FolderStore(await tempDir())
  for (const [name, body] of Object.entries(ZZ)) await copy.write(`bls/zz/${name}`, body)
  await copy.flush()
  const file = path.join(copy.root, 'bls/zz/zz.series')
  // Bit rot: other bytes, though size, mtime, inode and ctime are those the manifest recorded.
  await writeFile(file, ZZ['zz.series']!.replace('A1', 'X9'))
  const manifestFile = path.join(copy.root, MANIFEST_NAME)
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, {mtimeMs: number; ino?: number; ctimeMs?: number}>
  const {mtimeMs, ino, ctimeMs} = await stat(file)
  Object.assign(manifest['bls/zz/zz.series']!, {mtimeMs, ino, ctimeMs})
  await writeFile(manifestFile, JSON.stringify(manifest))
  const damaged = await runCommand(Query, ['SELECT * FROM zz_series', '--raw', copy.root, '--processed', copy.root])
  t.equal(damaged.exitCode, 1)
  t.match(damaged.stderr, /^Error: bls\/zz\/zz\.series in .* is damaged: its bytes have MD5 [0-9a-f]{32}, the store recorded [0-9a-f]{32}; fetch or sync it again \(no result was printed\)\n$/)
  t.equal(damaged.stdout, '')
  const other = await runCommand(Query, ['SELECT count(*) FROM zz_data', '--raw', copy.root, '--processed', copy.root])
  t.equal(other.exitCode, 0, 'a query that does not read the damaged file runs')

  await writeFile(path.join(copy.root, 'bls/zz/zz.period'), 'period\tperiod_name\nM01\tJanuary\n')
  const unknown = await runCommand(Query, ['SELECT * FROM zz_period', '--raw', copy.root, '--processed', copy.root])
  t.equal(unknown.exitCode, 0, unknown.stderr)
  t.match(unknown.stderr, /not verified \(the store has no MD5 for them; a fetch or sync records one\): bls\/zz\/zz\.period/)
  t.match(unknown.stdout, /M01 +January/)
})

t.test('a damaged report is a failure naming it; absent reports are simply no tables', async (t) => {
  const broken = new FolderStore(await tempDir())
  await broken.write('best_year_by_series.json', '{"report": "best_year_by_series"}')
  const result = await runCommand(Query, ['SELECT 1', '--raw', raw.root, '--processed', broken.root])
  t.equal(result.exitCode, 1)
  t.match(result.stderr, /^Error: best_year_by_series\.json in .*; run `dataquest transform` again\n$/)
  const huge = new FolderStore(await tempDir())
  const report = transformed.reports.find((r) => r.report === 'best_year_by_series')!
  await huge.write('best_year_by_series.json', JSON.stringify({...report, rows: [{...report.rows[0], value: 1e20}]}))
  const overflow = await runCommand(Query, ['SELECT 1', '--raw', raw.root, '--processed', huge.root])
  t.equal(overflow.exitCode, 1)
  t.match(overflow.stderr, /^Error: best_year_by_series\.json in .* does not fit its table \(.*\); run `dataquest transform` again\n$/)
  await t.rejects(runQuery('SELECT 1', {raw: new FolderStore(await tempDir())}), {message: /^no survey in .* and no report in the processed store: run `dataquest fetch` first/})
  const none = await runCommand(Query, ['SELECT count(*) AS n FROM pr_class', '--raw', raw.root, '--processed', await tempDir(), '--json'])
  t.same(JSON.parse(none.stdout).rows, [{n: 2}])
})
