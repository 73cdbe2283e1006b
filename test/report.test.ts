import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import Papa from 'papaparse'
import t from 'tap'

import {TERMINAL_ROWS} from '../src/cli/report-flags.js'
import ReportCommand from '../src/commands/report.js'
import TransformCommand from '../src/commands/transform.js'
import {renderReport, renderReports} from '../src/render/reports.js'
import {renderTransformSummary} from '../src/render/transform-summary.js'
import {
  type BestYearReport,
  loadReports,
  MissingReportsError,
  parseReport,
  type PopulationStatsReport,
  readReport,
  type Report,
  reportFiles,
  ReportFormatError,
  type SeriesPopulationReport,
  serializeReport,
  writeReports,
} from '../src/reports/index.js'
import {FolderStore} from '../src/stores/folder.js'
import {openStore} from '../src/stores/open.js'
import {transformStores} from '../src/transform/index.js'
import {dataFile, DATA_KEY, type DataRow, NATION, POPULATION_KEY, populationCurrent, QUEST_ROWS, questStore, removeTempDirs, tempDir} from './helpers/bls-files.js'
import {runCommand} from './helpers/cli.js'
import {startEmulator} from './helpers/fauxqs.js'
import {bigBestYear} from './helpers/sample-reports.js'

const ESC = '\u001b'
const CSI = '\u009b'

/** The three reports computed from the quest's rows, with a title carrying control characters. */
async function computed(): Promise<[PopulationStatsReport, BestYearReport, SeriesPopulationReport]> {
  const raw = await questStore(QUEST_ROWS, {
    'bls/pr/pr.series': 'series_id\tsector_code\tmeasure_code\tduration_code\nPRS30006011\t3000\t01\t1\n',
    'bls/pr/pr.sector': `sector_code\tsector_name\n3000\tManu${ESC}[31mfacturing${CSI}2J|=cmd\n`,
  })
  const {reports} = await transformStores({raw, processed: new FolderStore(await tempDir()), fromYear: 2018, toYear: 2021})
  return reports as [PopulationStatsReport, BestYearReport, SeriesPopulationReport]
}

t.teardown(removeTempDirs)

t.test('parseReport recognises each report and returns a canonical copy', async (t) => {
  for (const report of await computed()) {
    const reordered = JSON.parse(JSON.stringify({rows: (report as {rows?: unknown}).rows, ...report}))
    const parsed = parseReport(reordered)
    t.same(parsed, report, report.report)
    t.equal(serializeReport(parsed), serializeReport(report), `${report.report}: same bytes whatever the key order`)
  }
})

t.test('the JSON files hold serializeReport\'s text as UTF-8, text beyond ASCII included', async (t) => {
  const [population, bestYear, series] = await computed()
  const titled = {...bestYear, rows: bestYear.rows.map((row) => ({...row, title: 'Productivité — 生产率'}))}
  const reports = [population, titled, series]
  const files = await reportFiles(reports)
  for (const report of reports) {
    const file = files.find((candidate) => candidate.key === `${report.report}.json`)!
    t.same(Buffer.from(file.body), Buffer.from(serializeReport(report)), report.report)
  }
})

t.test('parseReport names what is wrong', async (t) => {
  const [population, bestYear, series] = await computed()
  const cases: [unknown, RegExp][] = [
    [null, /not a dataquest report: expected an object whose "report" is population_stats, best_year_by_series, series_population; got null/],
    [[1], /got an array/],
    ['text', /got string/],
    [{rows: []}, /got an object without "report"/],
    [{report: 'toString'}, /got "report": "toString"/],
    [{...population, parameters: 5}, /not a valid population_stats report: parameters should be an object/],
    [{...population, result: {...population.result, mean: '1'}}, /result.mean should be a number/],
    [{...population, result: {...population.result, count: 1.5}}, /result.count should be a whole number/],
    [{...population, result: {...population.result, years: [2013, 'x']}}, /result.years\[1\] should be a whole number/],
    [{...population, inputs: {}}, /inputs should be an array/],
    [{...population, inputs: [{key: 'k', md5: 'nope'}]}, /inputs\[0\].md5 should be an MD5 in hex/],
    [{...population, inputs: [{key: 1, md5: '0123456789abcdef0123456789abcdef'}]}, /inputs\[0\].key should be a string/],
    [{...bestYear, parameters: {}}, /best_year_by_series report: parameters.dataFile should be a string/],
    [{...bestYear, rows: [{...bestYear.rows[0], basis: 'monthly'}]}, /rows\[0\].basis should be "quarterly" or "annual"/],
    [{...bestYear, rows: [{...bestYear.rows[0], title: 5}]}, /rows\[0\].title should be a string/],
    [{...bestYear, rows: [7]}, /rows\[0\] should be an object/],
    [{...series, rows: [{...series.rows[0], population: 1.5}]}, /series_population report: rows\[0\].population should be a whole number/],
    [{...series, rows: [{...series.rows[0], value: Number.NaN}]}, /rows\[0\].value should be a number/],
  ]
  for (const [json, error] of cases) t.throws(() => parseReport(json), error)
  t.throws(() => parseReport(null), ReportFormatError)
})

t.test('rendering in all four formats', async (t) => {
  const reports = await computed()
  const [population, bestYear, series] = reports

  t.test('json: one line per report, parseable back', async (t) => {
    for (const report of reports) {
      const line = await renderReport(report, 'json')
      t.notMatch(line, /\n/)
      t.same(parseReport(JSON.parse(line)), report)
      t.notMatch(line, new RegExp(`[${ESC}${CSI}]`), 'controls escaped')
    }
    const all = (await renderReports(reports, 'json')).split('\n')
    t.equal(all.length, 3)
    t.same(JSON.parse(await renderReport(bestYear, 'json', {limit: 1})).rows, bestYear.rows.slice(0, 1))
  })

  t.test('csv: through papaparse, control characters removed', async (t) => {
    const parsed = Papa.parse<Record<string, string>>(await renderReport(bestYear, 'csv'), {header: true})
    t.same(parsed.meta.fields, ['series_id', 'year', 'value', 'basis', 'title'])
    t.same(parsed.data.map((row) => [row.series_id, row.year, row.value, row.basis]), bestYear.rows.map((row) => [row.series_id, String(row.year), String(row.value), row.basis]))
    t.equal(parsed.data[0]?.title, 'Manufacturing|=cmd', 'escape sequences removed')
    const seriesCsv = Papa.parse<string[]>(await renderReport(series, 'csv')).data
    t.same(seriesCsv, [['series_id', 'year', 'period', 'value', 'population'], ['PRS30006032', '2018', 'Q01', '0.4', String(NATION[2018])], ['PRS30006032', '2019', 'Q01', '-1.6', String(NATION[2019])], ['PRS30006032', '2020', 'Q01', '-6.7', '']])
    const stats = Object.fromEntries(Papa.parse<string[]>(await renderReport(population, 'csv')).data)
    t.match(stats, {fromYear: '2018', toYear: '2021', count: '2', mean: String(population.result.mean), years: '2018 2019', missingYears: '2020 2021'})
    t.equal((await renderReports(reports, 'csv')).split('\n\n').length, 3)
    t.equal(Papa.parse(await renderReport({...bestYear, rows: [{...bestYear.rows[0]!, series_id: '=HYPERLINK("x")'}]}, 'csv')).data[1]?.[0 as never], `'=HYPERLINK("x")`, 'formulae escaped')
  })

  t.test('markdown: a heading, the headline and a table', async (t) => {
    const text = await renderReport(bestYear, 'markdown', {limit: 2})
    const lines = text.split('\n')
    t.equal(lines[0], '### best_year_by_series')
    t.equal(lines[2], '3 series, best year each: 0 (0.0%) scored on the annual average (Q05), 3 on the sum of Q01–Q04')
    t.equal(lines[4], '| series_id | year | value | value is | title |')
    t.equal(lines[5], '| --- | ---: | ---: | --- | --- |')
    t.equal(lines[6], '| PRS30006011 | 1996 | 7 | sum of Q01–Q04 | Manufacturing\\|=cmd |')
    t.equal(lines.at(-1), '_… 1 more row not shown; --limit 0 shows all_')
    t.notMatch(text, new RegExp(`[${ESC}${CSI}]`))
    t.match(await renderReport(population, 'markdown'), /\| missing years \| 2020, 2021 \|/)
  })

  t.test('table: headline, aligned columns, thousands separators, colour only when asked', async (t) => {
    const text = await renderReport(series, 'table')
    t.same(text.split('\n'), [
      'series_population',
      'PRS30006032 Q01: 3 years (2018–2020) █▆▁, population known for 2',
      '',
      'series_id    year  period  value   population',
      'PRS30006032  2018  Q01       0.4  327,167,439',
      'PRS30006032  2019  Q01      -1.6  328,239,523',
      'PRS30006032  2020  Q01      -6.7            —',
    ])
    const stats = await renderReport(population, 'table')
    const mean = new Intl.NumberFormat('en-US').format(Math.round(population.result.mean))
    t.match(stats, `US population 2018–2021: mean ${mean}, standard deviation`)
    t.match(stats, /over 2 years; no population for 2020, 2021/)
    t.match(stats, /missing years +2020, 2021/)
    t.notMatch(stats, ESC)
    const colored = await renderReport(bestYear, 'table', {color: true, limit: 1})
    t.match(colored, `${ESC}[1m`)
    t.match(colored, /… 2 more rows not shown; --limit 0 shows all/)
    t.equal(colored.split('\n').filter((line) => line.includes('facturing')).length, 1)
    t.notMatch(colored.split('\n').find((line) => line.includes('facturing')), new RegExp(`[${ESC}${CSI}]`), 'data text sanitised')
    t.match(await renderReport({...bestYear, rows: []}, 'table'), /^0 series, best year each: 0 \(0.0%\)/m)
    t.match(await renderReport({...series, rows: []}, 'table'), /^PRS30006032 Q01: 0 years, population known for 0$/m)
    t.match(await renderReport({...population, result: {...population.result, missingYears: []}}, 'table'), /missing years +none/)
    t.same((await renderReports(reports, 'table')).match(/^(population_stats|best_year_by_series|series_population)$/gm), ['population_stats', 'best_year_by_series', 'series_population'])
    t.notMatch(await renderReport({...bestYear, rows: bestYear.rows.map(({title: _title, ...row}) => row)}, 'table'), /title/, 'no title column without titles')
  })

  t.test('table: decimal points aligned; the best-year value says what it holds', async (t) => {
    const rows = [
      {...bestYear.rows[0]!, value: 16.4, basis: 'quarterly' as const, title: undefined},
      {...bestYear.rows[0]!, series_id: 'PRS30006013', value: 7, basis: 'annual' as const, title: undefined},
      {...bestYear.rows[0]!, series_id: 'PRS30006014', value: -101.125, basis: 'quarterly' as const, title: undefined},
    ]
    t.same((await renderReport({...bestYear, rows}, 'table')).split('\n').slice(3), [
      'series_id    year     value  value is',
      'PRS30006011  1996    16.4    sum of Q01–Q04',
      'PRS30006013  1996     7      Q05 annual average',
      'PRS30006014  1996  -101.125  sum of Q01–Q04',
    ])
    t.match(await renderReport({...bestYear, rows}, 'csv'), /^series_id,year,value,basis\nPRS30006011,1996,16.4,quarterly\nPRS30006013,1996,7,annual\n/, 'CSV keeps the field names and values')
  })
})

t.test('loadReports reads what transform wrote, and names what is missing or wrong', async (t) => {
  const reports = await computed()
  const processed = new FolderStore(await tempDir())
  await t.rejects(loadReports(processed), new MissingReportsError(processed.location, ['population_stats.json', 'best_year_by_series.json', 'series_population.json']))
  await writeReports(processed, reports.slice(1))
  await t.rejects(loadReports(processed), /^no population_stats.json in .*: run `dataquest transform` first$/)
  t.same(await loadReports(processed, ['series_population']), [reports[2]])
  await writeReports(processed, reports)
  t.same(await loadReports(processed), reports)

  await writeFile(path.join(processed.root, 'population_stats.json'), '{oops')
  await t.rejects(loadReports(processed), /population_stats.json in .*: not JSON \(.*\); run `dataquest transform` to rewrite it/)
  await writeFile(path.join(processed.root, 'population_stats.json'), serializeReport(reports[2]))
  await t.rejects(loadReports(processed), /population_stats.json in .* holds a series_population report/)
  await writeFile(path.join(processed.root, 'population_stats.json'), '{"report": "population_stats"}')
  await t.rejects(loadReports(processed), ReportFormatError)
  await t.rejects(loadReports(processed), /^population_stats.json in .*: not a valid population_stats report: parameters should be an object; run `dataquest transform`/, 'names the file')
})

t.test('the commands against folders', async (t) => {
  const raw = (await questStore([...QUEST_ROWS, ['PRS30006011', 1997, 'Q01', 'n/a']])) as FolderStore
  const processed = await tempDir()
  const env = {DATAQUEST_RAW: raw.root, DATAQUEST_PROCESSED: processed, DATAQUEST_BUCKET: undefined, NO_COLOR: undefined}

  const first = await runCommand(TransformCommand, ['--from-year', '2018', '--to-year', '2019'], env)
  t.equal(first.exitCode, 0, first.stderr)
  t.match(first.stdout, /1 row rejected \(not summed\):/)
  t.match(first.stdout, /14 +value "n\/a" is not a decimal number +PRS30006011 \| 1997 \| Q01 \| n\/a \|$/m)
  t.match(first.stdout, /written +best_year_by_series.json +content changed/)
  t.match(first.stdout, /rejected rows +1/)
  t.match(first.stderr, /Transform .* into .*3 series, 1 rejected row \(/)

  const again = await runCommand(TransformCommand, ['--from-year', '2018', '--to-year', '2019', '--json'], env)
  const summary = JSON.parse(again.stdout)
  t.same(summary.files.filter((file: {key: string}) => file.key.endsWith('.json')).map((file: {status: string}) => file.status), ['unchanged', 'unchanged', 'unchanged'])
  t.equal(summary.rejected.count, 1)
  t.notOk('reports' in summary, 'the summary, not the reports')
  t.notMatch(again.stdout, /files unchanged/, 'nothing but JSON on stdout')

  const strict = await runCommand(TransformCommand, ['--strict'], env)
  t.equal(strict.exitCode, 1)
  t.match(strict.stderr, /line 14: value "n\/a" is not a decimal number \(strict mode rejects any bad row\)/)

  const table = await runCommand(ReportCommand, [], env)
  t.equal(table.exitCode, 0)
  const stored = await loadReports(new FolderStore(processed))
  t.equal(table.stdout, `${await renderReports(stored, 'table')}\n`)
  t.notMatch(table.stdout, ESC, 'no colour off a terminal')

  for (const format of ['json', 'csv', 'markdown'] as const) {
    const result = await runCommand(ReportCommand, ['--format', format, '--only', 'best-year', '--limit', '1'], env)
    t.equal(result.stdout, `${await renderReport(stored[1]!, format, {limit: 1})}\n`, format)
  }
  const json = await runCommand(ReportCommand, ['--only', 'population', '--json'], env)
  t.same(JSON.parse(json.stdout), {reports: [stored[0]]})

  // Colour on a terminal, never with NO_COLOR.
  const tty = process.stdout.isTTY
  process.stdout.isTTY = true
  t.teardown(() => {
    process.stdout.isTTY = tty
  })
  t.match((await runCommand(ReportCommand, ['--only', 'series'], env)).stdout, `${ESC}[`)
  t.notMatch((await runCommand(ReportCommand, ['--only', 'series'], {...env, NO_COLOR: '1'})).stdout, ESC)
  process.stdout.isTTY = tty

  const empty = await runCommand(ReportCommand, ['--processed', path.join(processed, 'nowhere')], env)
  t.equal(empty.exitCode, 1)
  t.equal(empty.stdout, '')
  t.match(empty.stderr, /no population_stats.json, best_year_by_series.json, series_population.json in .*nowhere: run `dataquest transform` first/)
  t.equal(empty.stderr.trim().split('\n').length, 1, 'one line')

  const missing = await runCommand(TransformCommand, ['--raw', path.join(processed, 'nowhere')], env)
  t.equal(missing.exitCode, 1)
  t.match(missing.stderr, /bls\/pr\/pr.data.0.Current not found in .*nowhere: run `dataquest fetch` first/)
  const badFlag = await runCommand(TransformCommand, ['--period', 'Q07'], env)
  t.not(badFlag.exitCode, 0)
})

// 200,000-row reports in every format: `npm run bench:report` (big data stays out of the tests);
// the table's regression test (130,000 rows) is in render.test.ts.
t.test('readReport: the one reader of report and consume', async (t) => {
  const processed = new FolderStore(await tempDir())
  const big = bigBestYear(300)
  await writeReports(processed, [big])
  t.same(await readReport(processed, 'best_year_by_series.json'), big)
  await t.rejects(readReport(processed, 'best_year_by_series.json', {maxBytes: 1000}), /^larger than 1000 bytes, not a report$/)
})

t.test('--json and --format json honour --only and --limit; csv needs one report', async (t) => {
  const processed = new FolderStore(await tempDir())
  const [population, bestYear, series] = await computed()
  await writeReports(processed, [population, bestYear, series])
  const env = {DATAQUEST_PROCESSED: processed.root, DATAQUEST_BUCKET: undefined}
  const json = await runCommand(ReportCommand, ['--json', '--only', 'best-year', '--limit', '2'], env)
  t.same(JSON.parse(json.stdout), {reports: [{...bestYear, rows: bestYear.rows.slice(0, 2)}]})
  const all = JSON.parse((await runCommand(ReportCommand, ['--json', '--limit', '1'], env)).stdout)
  t.same(all.reports.map((r: Report) => r.report), ['population_stats', 'best_year_by_series', 'series_population'])
  t.same(all.reports[2].rows, series.rows.slice(0, 1))
  const lines = (await runCommand(ReportCommand, ['--format', 'json', '--only', 'series', '--limit', '1'], env)).stdout.trim().split('\n')
  t.same(lines.map((line) => JSON.parse(line)), [{...series, rows: series.rows.slice(0, 1)}])

  const csv = await runCommand(ReportCommand, ['--format', 'csv'], env)
  t.equal(csv.exitCode, 2)
  t.equal(csv.stdout, '')
  t.equal(csv.stderr, 'Error: --format csv prints one report: add --only population, --only best-year, --only series; see `dataquest report --help`\n')
})

t.test('on a terminal a table shows the top rows, a count of the rest and how to see all', async (t) => {
  const processed = new FolderStore(await tempDir())
  await writeReports(processed, [bigBestYear(282)])
  const env = {DATAQUEST_PROCESSED: processed.root, DATAQUEST_BUCKET: undefined, NO_COLOR: '1'}
  const tty = process.stdout.isTTY
  process.stdout.isTTY = true
  t.teardown(() => {
    process.stdout.isTTY = tty
  })
  const top = await runCommand(ReportCommand, ['--only', 'best-year'], env)
  t.equal(top.stdout.split('\n').filter((line) => line.startsWith('PRS')).length, TERMINAL_ROWS)
  t.match(top.stdout, `… ${282 - TERMINAL_ROWS} more rows not shown; --limit 0 shows all`)
  const all = await runCommand(ReportCommand, ['--only', 'best-year', '--limit', '0'], env)
  t.equal(all.stdout.split('\n').filter((line) => line.startsWith('PRS')).length, 282)
  const csv = await runCommand(ReportCommand, ['--only', 'best-year', '--format', 'csv'], env)
  t.equal(csv.stdout.split('\n').filter((line) => line.startsWith('PRS')).length, 282, 'only the table is cut short')
  process.stdout.isTTY = tty
  // Piped (the built CLI): every row, in test/built-cli.test.ts.
})

t.test('the transform summary', async (t) => {
  const bad: DataRow[] = Array.from({length: 6}, (_, i) => ['PRS30006011', 1990 + i, 'Q09', 1])
  const summarise = async (rows: DataRow[], processed: FolderStore): Promise<string> =>
    renderTransformSummary(await transformStores({raw: await questStore(rows), processed}), {color: false})
  const processed = new FolderStore(await tempDir())
  const six = await summarise([...QUEST_ROWS, ...bad], processed)
  t.match(six, /^6 rows rejected \(not summed\); the first 5:$/m)
  t.match(six, /^ +18 +period "Q09" is not Q01–Q05 +PRS30006011 \| 1994 \| Q09 \| 1 \|$/m)
  t.notMatch(six, /1995/, 'only the first five')
  t.match(six, /^written +best_year_by_series.json +content changed$/m)
  const one = await summarise([...QUEST_ROWS, bad[0]!], processed)
  t.match(one, /^1 row rejected \(not summed\):$/m)
  await summarise(QUEST_ROWS, processed)
  const clean = await summarise(QUEST_ROWS, processed)
  t.match(clean, /^rejected rows +0$/m)
  t.notMatch(clean, /^action/m, 'no file listing when nothing changed')
  t.match(clean, /^files unchanged +10$/m)
})

t.test('transform and report through S3 (fauxqs)', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const raw = openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint})
  await raw.write(DATA_KEY, dataFile(QUEST_ROWS))
  await raw.write(POPULATION_KEY, populationCurrent(NATION))
  const env = {DATAQUEST_BUCKET: bucket, AWS_ENDPOINT_URL: emulator.endpoint, DATAQUEST_RAW: undefined, DATAQUEST_PROCESSED: undefined}

  const first = await runCommand(TransformCommand, ['--json'], env)
  t.equal(first.exitCode, 0, first.stderr)
  const summary = JSON.parse(first.stdout)
  t.equal(summary.processed, `s3://${bucket}/processed/`)
  t.same(summary.files.filter((file: {key: string}) => file.key.endsWith('.json')).map((file: {status: string}) => file.status), ['written', 'written', 'written'])

  const processed = openStore(`s3://${bucket}/processed/`, {endpoint: emulator.endpoint})
  const listed = await processed.list()
  t.same(listed.map((object) => [object.key, object.md5]), summary.files.map((file: {key: string; md5: string}) => [file.key, file.md5]).sort())

  const second = await runCommand(TransformCommand, ['--json', '--bucket', bucket, '--endpoint', emulator.endpoint], {})
  t.same(JSON.parse(second.stdout).files.filter((file: {key: string}) => file.key.endsWith('.json')).map((file: {status: string}) => file.status), ['unchanged', 'unchanged', 'unchanged'], 'no rewrite, so no S3 event')

  const report = await runCommand(ReportCommand, ['--only', 'best-year', '--format', 'csv'], env)
  t.equal(report.exitCode, 0, report.stderr)
  t.match(report.stdout, /^series_id,year,value,basis\nPRS30006011,1996,7,quarterly\nPRS30006012,2000,8,quarterly\n/)
  const reports: Report[] = await loadReports(processed)
  t.equal(reports.length, 3)
})
