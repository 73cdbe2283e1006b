// The report set beside the JSON: CSV and Parquet files read back by independent readers (DuckDB,
// papaparse), the page, `report --format html|parquet`, and the set written all or none.
import {execFileSync} from 'node:child_process'
import {mkdir, readdir, readFile, rm, stat, truncate, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {DuckDBInstance} from '@duckdb/node-api'
import Papa from 'papaparse'
import t from 'tap'

import ReportCommand from '../src/commands/report.js'
import TransformCommand from '../src/commands/transform.js'
import {handleReportMessage} from '../src/queue/report-message.js'
import {VALUE_SCALE} from '../src/reports/flat-files.js'
import {niceTicks, PAGE_ROWS, renderHtml} from '../src/reports/html.js'
import {type BestYearReport, PAGE_KEY, parseReport, type Report, REPORT_NAMES, reportFiles} from '../src/reports/index.js'
import {FolderStore} from '../src/stores/folder.js'
import {DECIMALS} from '../src/transform/decimal.js'
import {removeTempDirs, tempDir} from './helpers/bls-files.js'
import {runBuilt, runCommand} from './helpers/cli.js'
import {fixtureRaw} from './helpers/fixture-store.js'
import {bigBestYear, populationReport, seriesReport} from './helpers/sample-reports.js'
import {s3EventBody} from './helpers/s3-events.js'

t.teardown(removeTempDirs)

const SET = REPORT_NAMES.flatMap((name) => [`${name}.csv`, `${name}.json`, `${name}.parquet`]).concat(PAGE_KEY).sort()

/** The folder's files (not our bookkeeping) with their bytes. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir, {withFileTypes: true})).filter((entry) => entry.isFile() && !entry.name.startsWith('.')).map((entry) => entry.name).sort()
  return new Map(await Promise.all(names.map(async (name): Promise<[string, Buffer]> => [name, await readFile(path.join(dir, name))])))
}

const readJson = async (dir: string, name: string): Promise<Report> => parseReport(JSON.parse(await readFile(path.join(dir, `${name}.json`), 'utf8')))

/** What the JSON holds, as text per column, in the flat files' column order. */
function expectedRows(report: Report): Record<string, string | null>[] {
  const text = (value: string | number | null | undefined): string | null => (value === null || value === undefined ? null : String(value))
  switch (report.report) {
    case 'population_stats': {
      const {parameters: p, result: r} = report
      return [
        {
          from_year: text(p.fromYear),
          to_year: text(p.toYear),
          count: text(r.count),
          mean: text(r.mean),
          stddev: text(r.stddev),
          stddev_population: text(r.stddevPopulation),
          years: r.years.join(' '),
          missing_years: r.missingYears.join(' '),
        },
      ]
    }
    case 'best_year_by_series':
      return report.rows.map((row) => ({series_id: row.series_id, year: text(row.year), value: text(row.value), basis: row.basis, title: text(row.title)}))
    case 'series_population':
      return report.rows.map((row) => ({series_id: row.series_id, year: text(row.year), period: row.period, value: text(row.value), population: text(row.population)}))
  }
}

/** DuckDB's text of a cell, normalised as the JSON writes numbers (`-1.700` → `-1.7`). */
const duckText = (value: unknown, type: string): string | null => {
  if (value === null) return null
  return type.startsWith('DECIMAL') || type === 'DOUBLE' ? String(Number(value)) : String(value)
}

t.test('transform writes each report as CSV and Parquet beside its JSON, and the page; DuckDB and papaparse read back what the JSON holds', async (t) => {
  const raw = await fixtureRaw()
  const processed = await tempDir()
  const first = await runCommand(TransformCommand, ['--raw', raw, '--processed', processed, '--json'])
  t.equal(first.exitCode, 0, first.stderr)
  const summary = JSON.parse(first.stdout) as {files: {key: string; status: string}[]}
  t.same(summary.files.map((f) => f.key).sort(), SET)
  t.ok(summary.files.every((f) => f.status === 'written'))
  t.same(summary.files.slice(-3).map((f) => f.key), REPORT_NAMES.map((name) => `${name}.json`), 'the JSON reports are written last')
  const before = await files(processed)
  t.same([...before.keys()], SET)

  const db = await DuckDBInstance.create(':memory:')
  const duck = await db.connect()
  t.teardown(() => {
    duck.closeSync()
    db.closeSync()
  })
  const types: Record<string, string> = {}
  for (const name of REPORT_NAMES) {
    const report = await readJson(processed, name)
    const expected = expectedRows(report)
    t.ok(name === 'population_stats' || expected.length > 5, `${name}: real rows (${expected.length})`)

    const file = path.join(processed, `${name}.parquet`)
    const described = (await duck.runAndReadAll(`describe select * from read_parquet('${file}')`)).getRowObjectsJson()
    for (const {column_name, column_type} of described) types[`${name}.${String(column_name)}`] = String(column_type)
    const rows = (await duck.runAndReadAll(`select * from read_parquet('${file}')`)).getRowObjectsJson()
    const parquetRows = rows.map((row) => Object.fromEntries(described.map(({column_name: c, column_type: ty}) => [c, duckText(row[String(c)], String(ty))])))
    t.same(parquetRows, expected, `${name}.parquet holds the JSON's rows`)

    const csv = Papa.parse<Record<string, string>>(await readFile(path.join(processed, `${name}.csv`), 'utf8'), {header: true, skipEmptyLines: true})
    t.same(csv.errors, [], `${name}.csv parses`)
    t.same(
      csv.data,
      expected.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? '']))),
      `${name}.csv holds the JSON's rows`,
    )
  }
  t.equal(VALUE_SCALE, DECIMALS, 'the Parquet scale is the transform\'s')
  t.match(types, {
    'best_year_by_series.series_id': 'VARCHAR',
    'best_year_by_series.year': 'INTEGER',
    'best_year_by_series.value': 'DECIMAL(18,3)',
    'series_population.population': 'BIGINT',
    'series_population.value': 'DECIMAL(18,3)',
    'population_stats.mean': 'DOUBLE',
    'population_stats.count': 'INTEGER',
  })

  const again = await runCommand(TransformCommand, ['--raw', raw, '--processed', processed, '--json'])
  t.equal(again.exitCode, 0, again.stderr)
  t.ok((JSON.parse(again.stdout) as typeof summary).files.every((f) => f.status === 'unchanged'), 'nothing rewritten')
  const mtimes = async (): Promise<number[]> => Promise.all(SET.map(async (name) => (await stat(path.join(processed, name))).mtimeMs))
  const times = await mtimes()
  await runCommand(TransformCommand, ['--raw', raw, '--processed', processed])
  t.same(await mtimes(), times, 'unchanged files are not touched')
  t.same(await files(processed), before, 'byte-identical')

  // report --format html prints the page transform wrote (every row: 282 series < PAGE_ROWS).
  const html = await runCommand(ReportCommand, ['--processed', processed, '--format', 'html'])
  t.equal(html.exitCode, 0, html.stderr)
  t.equal(html.stdout, before.get(PAGE_KEY)!.toString(), 'report --format html is report.html')
  const out = path.join(await tempDir(), 'page.html')
  const limited = await runCommand(ReportCommand, ['--processed', processed, '--format', 'html', '--limit', '5', '--output', out])
  t.equal(limited.exitCode, 0, limited.stderr)
  t.equal(limited.stdout, '', 'nothing on stdout with --output')
  t.equal((await readFile(out, 'utf8')).match(/<tr>/g)?.length, 3 * 1 + 5 + 5 + 1, 'headers, 5 + 5 rows and the statistics row')

  const parquet = path.join(await tempDir(), 'best.parquet')
  const one = await runCommand(ReportCommand, ['--processed', processed, '--format', 'parquet', '--only', 'best-year', '--output', parquet])
  t.equal(one.exitCode, 0, one.stderr)
  t.same(await readFile(parquet), before.get('best_year_by_series.parquet'), 'report --format parquet writes the stored file')
  const csv = await runCommand(ReportCommand, ['--processed', processed, '--format', 'csv', '--only', 'series', '--output', path.join(path.dirname(parquet), 's.csv')])
  t.equal(csv.exitCode, 0, csv.stderr)
  t.match(await readFile(path.join(path.dirname(parquet), 's.csv'), 'utf8'), /^series_id,year,period,value,population\n/)

  const noOnly = await runCommand(ReportCommand, ['--processed', processed, '--format', 'parquet', '--output', parquet])
  t.equal(noOnly.exitCode, 2)
  t.match(noOnly.stderr, '--format parquet writes one report: add --only population')
  const nowhere = await runCommand(ReportCommand, ['--processed', processed, '--format', 'parquet', '--only', 'series', '--output', path.join(processed, 'no/such/dir/x.parquet')])
  t.equal(nowhere.exitCode, 1)
  t.match(nowhere.stderr, /cannot write .*x\.parquet: ENOENT/)
})

t.test('--format parquet refuses a terminal; a pipe gets the bytes (built CLI)', async (t) => {
  const raw = await fixtureRaw()
  const processed = await tempDir()
  t.equal((await runCommand(TransformCommand, ['--raw', raw, '--processed', processed])).exitCode, 0)
  const descriptor = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', {value: true, configurable: true})
  try {
    const tty = await runCommand(ReportCommand, ['--processed', processed, '--format', 'parquet', '--only', 'population'])
    t.equal(tty.exitCode, 2)
    t.match(tty.stderr, '--format parquet is binary: add --output FILE')
  } finally {
    if (descriptor) Object.defineProperty(process.stdout, 'isTTY', descriptor)
    else delete (process.stdout as {isTTY?: boolean}).isTTY
  }
  // The built CLI, piped: the bundle carries the Parquet writer.
  const piped = await runBuilt(['report', '--processed', processed, '--format', 'parquet', '--only', 'population'])
  t.equal(piped.code, 0, piped.stderr)
  t.match(piped.stdout, /^PAR1/, 'Parquet magic on stdout')
})

t.test('the page: charts above tables, escaped text, no request possible, a note where the table stops', async (t) => {
  const best: BestYearReport = {...bigBestYear(PAGE_ROWS + 5), rows: bigBestYear(PAGE_ROWS + 5).rows.map((row, i) => (i === 0 ? {...row, title: '<script>alert(1)</script>'} : row))}
  const page = renderHtml([populationReport(), best, seriesReport()])
  t.match(page, `content="default-src 'none'; style-src 'unsafe-inline'"`, 'the CSP forbids every request')
  t.notMatch(page, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no script, no URL but the SVG namespace')
  t.match(page, '&lt;script&gt;alert(1)&lt;/script&gt;')
  t.match(page, `The first 1,000 of 1,005 rows; best_year_by_series.csv and best_year_by_series.parquet hold them all.`)
  t.ok(page.indexOf('<svg') < page.indexOf('<table id="series_population-table"'), 'the chart comes before its table')
  t.equal(page.match(/class="point series-point"/g)?.length, 2)
  t.equal(page.match(/class="no-population"/g)?.length, 1, 'the year without a population is marked')
  t.same(renderHtml([populationReport()]).match(/<svg/g), null, 'statistics alone: a table, no chart')
  t.match(renderHtml([{...seriesReport(), rows: []}, {...best, rows: []}]), /No PRS30006032 Q01 rows: nothing to draw[\s\S]*No series: nothing to draw/)
  // A series without any population: no right axis, every year shaded.
  const noPopulation = renderHtml([{...seriesReport(), rows: seriesReport().rows.map((row) => ({...row, population: null}))}])
  t.notMatch(noPopulation, /class="axis-label"[^>]*>US population/)
  t.equal(noPopulation.match(/class="no-population"/g)?.length, 2)
  t.same(niceTicks(5, 5, 5, {integer: true}), [4, 5, 6], 'one value: a range around it')
  const noYears = {...populationReport(2030, 2031), result: {...populationReport().result, count: 0, mean: 0, stddev: 0, stddevPopulation: 0, years: [], missingYears: [2030, 2031]}}
  const lonely = renderHtml([noYears, seriesReport()])
  t.notMatch(lonely, 'class="mean"', 'no mean line without a year of population')
  t.match(lonely, 'No population for 2030, 2031.')
  t.same(niceTicks(0, 0), [-1, -0.5, 0, 0.5, 1])
  t.same(niceTicks(0, 7, 5), [0, 2, 4, 6, 8])
})

t.test('the set is written all or none: a failing rename puts back the files renamed before it', async (t) => {
  const raw = await fixtureRaw()
  const processed = await tempDir()
  t.equal((await runCommand(TransformCommand, ['--raw', raw, '--processed', processed])).exitCode, 0)
  // A folder where the page goes: everything stages, then its rename fails after the series CSV and Parquet were renamed.
  const before = await files(processed)
  const page = path.join(processed, PAGE_KEY)
  await rm(page)
  await mkdir(page)
  // A file the previous set lacks: renamed into place, then removed again by the rollback.
  await rm(path.join(processed, 'series_population.csv'))
  const kept = new Map([...before].filter(([name]) => name !== PAGE_KEY && name !== 'series_population.csv'))
  const failed = await runCommand(TransformCommand, ['--raw', raw, '--processed', processed, '--series', 'PRS30006011'])
  t.equal(failed.exitCode, 1)
  t.match(failed.stderr, /report\.html/)
  const after = await files(processed)
  after.delete(PAGE_KEY)
  t.same(after, kept, 'every previous file as it was')
  t.same((await readdir(processed, {recursive: true})).filter((name) => name.endsWith('.tmp')), [], 'no temp file left')
  await rm(page, {recursive: true})
  const retried = await runCommand(TransformCommand, ['--raw', raw, '--processed', processed, '--series', 'PRS30006011'])
  t.equal(retried.exitCode, 0, retried.stderr)
  t.equal(((await readJson(processed, 'series_population')) as {parameters: {seriesId: string}}).parameters.seriesId, 'PRS30006011')
})

t.test('a set whose manifest cannot be recorded: the files are in place, the error says so', async (t) => {
  const dir = await tempDir()
  const store = new FolderStore(dir)
  await store.list()
  await mkdir(path.join(dir, '.dataquest-manifest.json'))
  await t.rejects(store.writeAll([{key: 'a.csv', body: 'a\n'}, {key: 'b.csv', body: 'b\n'}]), {name: 'UnrecordedWriteError', message: /^a\.csv, b\.csv: the new copy was written, but recording it failed/})
  t.equal(await readFile(path.join(dir, 'b.csv'), 'utf8'), 'b\n')
})

t.test('disk full during transform: the previous set stays whole and no temp file is left (tmpfs)', async (t) => {
  const mountPoint = await tempDir()
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], {stdio: 'pipe'})
  } catch (error) {
    t.comment(`skip: cannot mount a tmpfs here (${String((error as {stderr?: Buffer}).stderr ?? error).trim()}); it needs root`)
    t.pass('skipped: no tmpfs')
    return
  }
  t.teardown(() => execFileSync('umount', [mountPoint]))
  const raw = await fixtureRaw()
  const processed = path.join(mountPoint, 'processed')
  t.equal((await runCommand(TransformCommand, ['--raw', raw, '--processed', processed])).exitCode, 0)
  const before = await files(processed)
  const manifest = await readFile(path.join(processed, '.dataquest-manifest.json'))
  // Fill the disk, then free a little: less than the new set needs.
  const filler = path.join(mountPoint, 'filler')
  await writeFile(filler, Buffer.alloc(1024 * 1024)).catch(() => {})
  await truncate(filler, Math.max(0, (await stat(filler)).size - 24 * 1024))
  const failed = await runCommand(TransformCommand, ['--raw', raw, '--processed', processed, '--series', 'PRS30006011'])
  t.equal(failed.exitCode, 1)
  t.match(failed.stderr, /ENOSPC/)
  t.same(await files(processed), before, 'the previous set, whole')
  t.same(await readFile(path.join(processed, '.dataquest-manifest.json')), manifest, 'the manifest as it was')
  t.same((await readdir(processed, {recursive: true})).filter((name) => name.endsWith('.tmp')), [], 'no temp file left')
})

t.test('the consumer reads only the JSON reports: the CSV, Parquet and HTML beside them are skipped', async (t) => {
  const keys = (await reportFiles([populationReport(), seriesReport()])).map((file) => file.key)
  const outcome = await handleReportMessage({messageId: 'm', body: s3EventBody(...keys.map((key) => ({bucket: 'b', key: `processed/${key}`})))}, async ({key}) =>
    key.endsWith('population_stats.json') ? populationReport() : seriesReport(),
  )
  t.match(outcome, {status: 'handled', reports: [{key: 'processed/population_stats.json'}, {key: 'processed/series_population.json'}]})
  t.same((outcome as {skipped: string[]}).skipped.sort(), keys.filter((key) => !key.endsWith('.json')).map((key) => `s3://b/processed/${key} (not a .json report)`).sort())
})
