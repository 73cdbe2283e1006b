import {mkdir, readFile, stat, symlink} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'

import t from 'tap'

import type {BestYearReport, PopulationStatsReport, SeriesPopulationReport} from '../src/reports/types.js'
import {FolderStore} from '../src/stores/folder.js'
import {md5Hex} from '../src/stores/md5.js'
import {streamReader} from '../src/stores/store.js'
import {DataFileScanner, MAX_LINE_BYTES, scanDataFile} from '../src/transform/bls-data.js'
import {formatScaled, scaledToNumber} from '../src/transform/decimal.js'
import {transformStores} from '../src/transform/index.js'
import {populationStats, populationYears} from '../src/transform/population.js'
import {MergedSeries, SeriesPacker} from '../src/transform/series-sums.js'
import {yearSums} from './helpers/year-sums.js'
import {seriesTitles} from '../src/transform/titles.js'
import {
  DATA_KEY,
  type DataRow,
  dataFile,
  NATION,
  POPULATION_KEY,
  populationCurrent,
  populationLegacy,
  QUEST_ROWS,
  questStore,
  UNICODE_SPACE_ROWS,
  rawStore,
  removeTempDirs,
  tempDir,
} from './helpers/bls-files.js'
import {projectRoot} from './helpers/cli.js'

t.teardown(removeTempDirs)

/** Each series' sums as plain arrays, in id order. */
const asArrays = (series: MergedSeries) =>
  [...series].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, {quarterly, annual}]) => [id, {quarterly: Array.from(quarterly), annual: Array.from(annual)}])

/** What a scanner that has ended summed, as scanDataFile returns it. */
function sumsOf(scanner: DataFileScanner): MergedSeries {
  const series = new MergedSeries()
  series.add(scanner.packedSeries())
  return series
}

const processedStore = async (): Promise<FolderStore> => new FolderStore(await tempDir())

const run = async (rows: readonly DataRow[], options: Partial<Parameters<typeof transformStores>[0]> = {}) => {
  const result = await transformStores({raw: await questStore(rows), processed: await processedStore(), ...options})
  const [population, bestYear, series] = result.reports as [PopulationStatsReport, BestYearReport, SeriesPopulationReport]
  const best = Object.fromEntries(bestYear.rows.map((row) => [row.series_id, row]))
  return {result, population, bestYear, series, best}
}

t.test('a series of many years, split by another series and taken back: every year summed', async (t) => {
  // 60 years (120 numbers) outgrow the scanner's first list of 64; the series comes back after another one.
  const years = Array.from({length: 60}, (_, i) => 1950 + i)
  const rows: DataRow[] = [
    ...years.map((year): DataRow => ['PRS1', year, 'Q01', year === 1987 ? 90 : 1]),
    ['PRS2', 2000, 'Q01', 5],
    ...years.map((year): DataRow => ['PRS1', year, 'Q02', year === 2003 ? 100 : 1]),
  ]
  const {best} = await run(rows)
  t.match(best.PRS1, {year: 2003, value: 101, basis: 'quarterly'})
  t.match(best.PRS2, {year: 2000, value: 5})
})

t.test("the quest's example: 1996 → 7 and 2000 → 8", async (t) => {
  const {best, result, bestYear} = await run(QUEST_ROWS)
  t.match(best.PRS30006011, {year: 1996, value: 7, basis: 'quarterly'})
  t.match(best.PRS30006012, {year: 2000, value: 8, basis: 'quarterly'})
  t.same(bestYear.rows.map((row) => row.series_id), ['PRS30006011', 'PRS30006012', 'PRS30006032'], 'every series, sorted')
  t.equal(result.rows, QUEST_ROWS.length)
  t.equal(result.series, 3)
  t.equal(result.annualSeries, 0)
  t.same(result.rejected, {count: 0, samples: []})
})

t.test('Q05 is used only for series without quarters', async (t) => {
  const {best, result} = await run([
    ...QUEST_ROWS,
    ['PRS85006173', 2001, 'Q05', 5.5],
    ['PRS85006173', 2002, 'Q05', 7.25],
    ['PRS85006173', 2003, 'Q05', 7],
    // A series with quarters ignores its Q05 rows, however large.
    ['PRS85006174', 2001, 'Q01', 1],
    ['PRS85006174', 2001, 'Q05', 900],
    ['PRS85006174', 2002, 'Q01', 2],
  ])
  t.match(best.PRS85006173, {year: 2002, value: 7.25, basis: 'annual'})
  t.match(best.PRS85006174, {year: 2002, value: 2, basis: 'quarterly'})
  t.equal(result.annualSeries, 1)
})

t.test('a tie goes to the earliest year, whatever the file order', async (t) => {
  const {best} = await run([
    ...QUEST_ROWS,
    ['PRS1', 2005, 'Q01', 4],
    ['PRS1', 2003, 'Q01', 1],
    ['PRS1', 2003, 'Q02', 3],
    ['PRS1', 2004, 'Q01', 4],
  ])
  t.match(best.PRS1, {year: 2003, value: 4})
})

t.test('sums are exact where floating point is not', async (t) => {
  // In floating point 0.1 + 0.2 > 0.3 and 0.7 + 0.1 < 0.8: both pairs are genuine ties, won by the earlier year.
  const {best} = await run([
    ...QUEST_ROWS,
    ['PRSA', 2000, 'Q01', 0.3],
    ['PRSA', 2001, 'Q01', 0.1],
    ['PRSA', 2001, 'Q02', 0.2],
    ['PRSB', 2000, 'Q01', 0.7],
    ['PRSB', 2000, 'Q02', 0.1],
    ['PRSB', 2001, 'Q01', 0.8],
    ['PRSC', 2000, 'Q01', '100.001'],
    ['PRSC', 2000, 'Q02', '-0.002'],
    ['PRSC', 2000, 'Q03', '.001'],
    ['PRSC', 2000, 'Q04', '+5.'],
  ])
  t.match(best.PRSA, {year: 2000, value: 0.3})
  t.match(best.PRSB, {year: 2000, value: 0.8})
  t.equal(best.PRSC?.value, 105, '100.001 − 0.002 + 0.001 + 5')
  t.equal(formatScaled(-200), '-0.2')
  t.equal(formatScaled(1050), '1.05')
  // The number written out is the one the decimal text parses to, for any scaled value up to the cap.
  let seed = 7
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const cases = [0, -0, 1, -1, 999, 1000, 1001, 16400, 2 ** 53 - 1, -(2 ** 53 - 1), 1e15 - 1]
  for (let i = 0; i < 20_000; i++) cases.push(Math.floor((random() - 0.5) * 10 ** Math.floor(random() * 17)))
  const differ = cases.filter((scaled) => !Object.is(scaledToNumber(scaled), Number(formatScaled(scaled))))
  t.same(differ, [], 'scaledToNumber(x) is Number(formatScaled(x)), -0 included')
})

t.test('padded header and fields, CRLF, LF and a missing final line end', async (t) => {
  const expected = (await run(QUEST_ROWS)).bestYear.rows
  for (const [name, text] of [
    ['LF', dataFile(QUEST_ROWS, {eol: '\n'})],
    ['CRLF', dataFile(QUEST_ROWS, {eol: '\r\n'})],
    ['no final line end, blank lines', dataFile(QUEST_ROWS, {eol: '\n'}).replace('\n', '\n\n  \n').trimEnd()],
    ['other column order, extra columns, BOM', `\uFEFF footnote_codes \t value \tperiod\tyear\tseries_id\r\n${QUEST_ROWS.map(([id, y, p, v]) => `R\t ${v}\t${p}\t ${y} \t${id}`).join('\r\n')}`],
  ] as const) {
    const raw = await rawStore({[DATA_KEY]: text, [POPULATION_KEY]: populationCurrent(NATION)})
    const result = await transformStores({raw, processed: await processedStore()})
    t.same((result.reports[1] as BestYearReport).rows, expected, name)
    t.equal(result.rejected.count, 0, `${name}: nothing rejected`)
  }
})

t.test('the header must name series_id, year, period and value', async (t) => {
  const raw = await rawStore({[DATA_KEY]: 'series_id\tyear\tperiode\tamount\n', [POPULATION_KEY]: populationCurrent(NATION)})
  await t.rejects(transformStores({raw, processed: await processedStore()}), /header lacks period, value \(found: series_id, year, periode, amount\)/)
  const blank = await rawStore({[DATA_KEY]: '\r\nseries_id\tyear\tperiod\tvalue\r\n', [POPULATION_KEY]: populationCurrent(NATION)})
  await t.rejects(transformStores({raw: blank, processed: await processedStore()}), /header lacks series_id, year, period, value \(found: nothing\)/)
  const empty = await rawStore({[DATA_KEY]: '', [POPULATION_KEY]: populationCurrent(NATION)})
  await t.rejects(transformStores({raw: empty, processed: await processedStore()}), /is empty: no header line/)
  const headerOnly = await rawStore({[DATA_KEY]: dataFile([]), [POPULATION_KEY]: populationCurrent(NATION)})
  const processed = await processedStore()
  await t.rejects(transformStores({raw: headerOnly, processed}), /has no usable data rows; the previous reports were kept/)
  t.same(await processed.list(), [], 'nothing written')
})

const BAD_ROWS: [DataRow | string, RegExp][] = [
  [['PRS30006011', 1997, 'Q01', 'abc'], /value "abc" is not a decimal number/],
  [['PRS30006011', 1997, 'Q01', '1.2345'], /value "1.2345" has more than 3 decimals/],
  [['PRS30006011', 1997, 'Q01', '1000000000000'], /value "1000000000000" is out of range/],
  [['PRS30006011', 1997, 'Q01', '-'], /value "-" is not a decimal number/],
  [['PRS30006011', '19x7', 'Q01', 1], /year "19x7" is not a year/],
  [['PRS30006011', 97, 'Q01', 1], /year "97" is not a year/],
  [['PRS30006011', 1997, 'M01', 1], /period "M01" is not Q01–Q05/],
  [['PRS30006011', 1997, 'Q06', 1], /period "Q06" is not Q01–Q05/],
  [['PRS30006011', 1997, 'Q1', 1], /period "Q1" is not Q01–Q05/],
  [['PRS30006011', 1997, 'Q01', '1 2'], /value "1 2" is not a decimal number/],
  [['', 1997, 'Q01', 1], /series_id is empty/],
  ['PRS30006011\t19', /has 2 fields, expected at least 4/],
  ['PRS30006011', /has 1 field, expected at least 4/],
]

t.test('rejected rows are counted, shown with line numbers and never summed', async (t) => {
  const text = dataFile(QUEST_ROWS, {eol: '\n'}) + BAD_ROWS.map(([row]) => (typeof row === 'string' ? row : dataFile([row], {header: ''}).slice(2).trimEnd())).join('\n')
  const raw = await rawStore({[DATA_KEY]: text, [POPULATION_KEY]: populationCurrent(NATION)})
  const result = await transformStores({raw, processed: await processedStore()})
  t.equal(result.rejected.count, BAD_ROWS.length)
  t.equal(result.rejected.samples.length, 5, 'the first five are kept')
  const firstBad = QUEST_ROWS.length + 2
  result.rejected.samples.forEach((sample, i) => {
    t.equal(sample.line, firstBad + i)
    t.match(sample.reason, BAD_ROWS[i]![1])
  })
  t.match(result.rejected.samples[0]?.text, /^PRS30006011 +\t1997\tQ01\t +abc$/)
  t.match((result.reports[1] as BestYearReport).rows[0], {series_id: 'PRS30006011', year: 1996, value: 7}, '1997 was never summed')

  // Every reason, one at a time, and --strict makes each fatal.
  for (const [row, reason] of BAD_ROWS) {
    const line = typeof row === 'string' ? row : dataFile([row], {header: ''}).slice(2).trimEnd()
    const strictRaw = await rawStore({[DATA_KEY]: `${dataFile(QUEST_ROWS)}${line}\r\n`, [POPULATION_KEY]: populationCurrent(NATION)})
    const lenient = await transformStores({raw: strictRaw, processed: await processedStore()})
    t.match(lenient.rejected.samples[0]?.reason, reason)
    const processed = await processedStore()
    await t.rejects(transformStores({raw: strictRaw, processed, strict: true}), new RegExp(`line ${firstBad}: .*strict mode rejects any bad row`))
    t.same(await processed.list(), [], 'strict: nothing written')
  }
})

t.test('a Unicode space beside a field rejects that row with a reason, the rest is summed (single thread)', async (t) => {
  const text = dataFile(QUEST_ROWS) + UNICODE_SPACE_ROWS.map(([row]) => row).join('\r\n') + '\r\nPRS\u2003X\t1997\tQ01\t2\r\n'
  const raw = await rawStore({[DATA_KEY]: text, [POPULATION_KEY]: populationCurrent(NATION)})
  const result = await transformStores({raw, processed: await processedStore(), threads: 1})
  t.equal(result.threads, 1)
  t.equal(result.rejected.count, UNICODE_SPACE_ROWS.length)
  const scanner = new DataFileScanner({key: 'k', seriesId: 'PRS1', period: 1, sampleSize: 100})
  scanner.push(Buffer.from(text))
  scanner.end()
  t.equal(scanner.samples.length, UNICODE_SPACE_ROWS.length)
  scanner.samples.forEach((sample, i) => {
    t.equal(sample.line, QUEST_ROWS.length + 2 + i)
    t.match(sample.reason, UNICODE_SPACE_ROWS[i]![1])
  })
  const rows = (result.reports[1] as BestYearReport).rows
  t.same(rows.map((row) => row.series_id), ['PRS30006011', 'PRS30006012', 'PRS30006032', 'PRS\u2003X'], 'a space inside an id is part of it; no series made of a padded id')
  t.match(rows[0], {year: 1996, value: 7}, 'no rejected row summed')
  await t.rejects(
    transformStores({raw, processed: await processedStore(), strict: true, threads: 1}),
    new RegExp(`line ${QUEST_ROWS.length + 2}: year "\u00a01997" is not a year \\(it holds U\\+00A0, a space that is not trimmed\\) \\(strict mode rejects any bad row\\)`),
  )
})

t.test('population statistics, in both API shapes', async (t) => {
  const years = [2013, 2014, 2015, 2016, 2017, 2018]
  const values = years.map((year) => NATION[year as keyof typeof NATION])
  const mean = values.reduce((a, b) => a + b) / values.length
  const squares = values.reduce((a, b) => a + (b - mean) ** 2, 0)
  for (const [name, content] of [
    ['current', populationCurrent(NATION)],
    ['legacy', populationLegacy(NATION)],
  ] as const) {
    const raw = await rawStore({[DATA_KEY]: dataFile(QUEST_ROWS), [POPULATION_KEY]: content})
    const [population] = (await transformStores({raw, processed: await processedStore()})).reports as [PopulationStatsReport]
    t.same(population.parameters, {fromYear: 2013, toYear: 2018}, name)
    t.same(population.inputs, [{key: POPULATION_KEY, md5: md5Hex(content)}])
    t.equal(population.result.count, 6)
    t.equal(population.result.mean, mean)
    t.ok(Math.abs(population.result.stddev - Math.sqrt(squares / 5)) < 1e-6, `${name}: sample sd`)
    t.ok(Math.abs(population.result.stddevPopulation - Math.sqrt(squares / 6)) < 1e-6, `${name}: population sd`)
    t.same(population.result.years, years)
    t.same(population.result.missingYears, [])
  }
})

t.test('a missing 2020 stays in the series report with a null population', async (t) => {
  const {series, population} = await run(QUEST_ROWS, {fromYear: 2017, toYear: 2021})
  t.same(series.parameters, {seriesId: 'PRS30006032', period: 'Q01'})
  t.same(series.rows, [
    {series_id: 'PRS30006032', year: 2018, period: 'Q01', value: 0.4, population: NATION[2018]},
    {series_id: 'PRS30006032', year: 2019, period: 'Q01', value: -1.6, population: NATION[2019]},
    {series_id: 'PRS30006032', year: 2020, period: 'Q01', value: -6.7, population: null},
  ])
  t.same(population.result.years, [2017, 2018, 2019])
  t.same(population.result.missingYears, [2020, 2021])

  const other = await run(QUEST_ROWS, {seriesId: 'PRS30006032', period: 'Q02'})
  t.same(other.series.rows.map((row) => [row.year, row.value, row.period]), [[2020, 9.9, 'Q02']])

  // Duplicate rows are summed like any other (as a group-by would); the series report lists both, in a fixed order.
  const doubled = await run([...QUEST_ROWS, ['PRS30006032', 2018, 'Q01', -3], ['PRS30006032', 2018, 'Q01', 0.4]])
  t.same(doubled.series.rows.filter((row) => row.year === 2018).map((row) => row.value), [-3, 0.4, 0.4])

  // Years as strings (legacy `Year` without `ID Year`), and a null population counts as missing.
  t.same([...populationYears({data: [{Year: ' 2013 ', Population: 1}]}, 'p')], [[2013, 1]])
  const withNull = populationYears(JSON.parse(populationCurrent({2019: 5, 2020: null, 2021: 7})), 'p')
  t.same(populationStats(withNull, 2019, 2021), {count: 2, mean: 6, stddev: Math.SQRT2, stddevPopulation: 1, years: [2019, 2021], missingYears: [2020]})
})

t.test('bad population files are refused with a clear error', async (t) => {
  const state = JSON.stringify({
    data: ['Alabama', 'Alaska'].flatMap((name, i) => [2013, 2014].map((year) => ({'State ID': `04000US0${i + 1}`, State: name, Year: year, Population: 4799277 + i}))),
  })
  const cases: [string, RegExp][] = [
    [state, /has 2 rows for 2013: a drilldown other than Nation \(State, County…\); fetch the Year,Nation drilldown/],
    [populationCurrent({2013: 1}), /1 usable year in 2013–2018; at least 2 are needed/],
    [populationCurrent({2010: 1}), /0 usable years in 2013–2018/],
    ['{"data": 5}', /datausa\/population.json: has no "data" array; run `dataquest fetch` again/],
    ['[]', /has no "data" array/],
    ['{not json', /datausa\/population.json in .* is not JSON .*run `dataquest fetch` again/],
    [JSON.stringify({data: [{Population: 5}]}), /data\[0\] has no year/],
    [JSON.stringify({data: [7]}), /data\[0\] has no year/],
    [JSON.stringify({data: [{Year: 'soon', Population: 5}]}), /data\[0\] has no year/],
    [JSON.stringify({data: [{Year: 2013, Population: 'many'}]}), /data\[0\] has Population "many", expected a whole number/],
    [JSON.stringify({data: [{Year: 2013, Population: 1.5}]}), /has Population 1.5/],
  ]
  for (const [content, error] of cases) {
    const raw = await rawStore({[DATA_KEY]: dataFile(QUEST_ROWS), [POPULATION_KEY]: content})
    const processed = await processedStore()
    await t.rejects(transformStores({raw, processed}), error)
    t.same(await processed.list(), [], 'nothing written')
  }
})

t.test('same inputs give byte-identical files, and unchanged files are not rewritten', async (t) => {
  const raw = await questStore()
  const processed = await processedStore()
  const first = await transformStores({raw, processed})
  t.same(first.files.filter((file) => file.key.endsWith('.json')).map((file) => file.status), ['written', 'written', 'written'])
  const file = path.join(processed.root, 'best_year_by_series.json')
  const before = {bytes: await readFile(file), mtime: (await stat(file)).mtimeMs}
  t.equal(md5Hex(before.bytes), first.files.find((f) => f.key === 'best_year_by_series.json')?.md5)

  // A fresh store instance (no cached manifest), as a second process would have.
  const second = await transformStores({raw, processed: new FolderStore(processed.root)})
  t.same(second.files.filter((file) => file.key.endsWith('.json')).map((file) => file.status), ['unchanged', 'unchanged', 'unchanged'])
  t.same(second.files, first.files.map((file) => ({...file, status: 'unchanged'})))
  t.same(await readFile(file), before.bytes)
  t.equal((await stat(file)).mtimeMs, before.mtime, 'not rewritten')

  // Another series changes one report only.
  const third = await transformStores({raw, processed, seriesId: 'PRS30006011'})
  t.same(third.files.filter((file) => file.key.endsWith('.json')).map((file) => file.status), ['unchanged', 'unchanged', 'written'])
})

t.test('titles from the lookup files, where present', async (t) => {
  const lookups = {
    'bls/pr/pr.series': 'series_id        \tsector_code\tmeasure_code\tduration_code\r\nPRS30006011      \t3000\t01\t1\r\nPRS30006012      \t3000\t99\t2\r\nPRS30006032\r\n',
    'bls/pr/pr.sector': 'sector_code\tsector_name\r\n3000\tManufacturing\r\n3100\t\r\n',
    'bls/pr/pr.measure': 'measure_code\tmeasure_text\r\n01\tEmployment\r\n',
    'bls/pr/pr.duration': 'duration_code\tduration_text\r\n1\t% Change same quarter 1 year ago\r\n2\t% Change from previous quarter\r\n',
  }
  const raw = await questStore(QUEST_ROWS, lookups)
  const result = await transformStores({raw, processed: await processedStore()})
  const best = result.reports[1] as BestYearReport
  t.same(best.rows.map((row) => row.title), ['Manufacturing — Employment — % Change same quarter 1 year ago', 'Manufacturing — % Change from previous quarter', undefined])
  t.same(
    best.inputs.map((input) => input.key),
    [DATA_KEY, 'bls/pr/pr.duration', 'bls/pr/pr.measure', 'bls/pr/pr.sector', 'bls/pr/pr.series'],
    'the lookups are inputs too',
  )
  t.same([...seriesTitles({sector: lookups['bls/pr/pr.sector']})], [], 'no pr.series, no titles')
  t.same([...seriesTitles({series: lookups['bls/pr/pr.series']})], [], 'codes alone make no title')
})

t.test('parameters and inputs are checked before anything is written', async (t) => {
  const raw = await questStore()
  const processed = await processedStore()
  const cases: [Partial<Parameters<typeof transformStores>[0]>, RegExp][] = [
    [{period: 'Q6'}, /period "Q6" should be one of Q01–Q05/],
    [{fromYear: 2019, toYear: 2018}, /years 2019–2018 should be whole numbers, the first not after the second/],
    [{fromYear: 2013.5}, /should be whole numbers/],
    [{seriesId: ' '}, /series id is empty/],
    [{dataFile: '../x'}, /should be a file name under bls\/pr\//],
    [{dataFile: '..'}, /should be a file name/],
    [{dataFile: 'pr.data.1.AllData'}, /bls\/pr\/pr.data.1.AllData not found in .*: run `dataquest fetch` first/],
  ]
  for (const [options, error] of cases) await t.rejects(transformStores({raw, processed, ...options}), error)
  // The CLI words the hint as `; pick another --series or --period (--strict refuses an empty series report)` (cli-errors.test.ts).
  await t.rejects(transformStores({raw, processed, seriesId: 'PRS9', strict: true}), {
    message: /has no Q01 rows for series PRS9$/,
    kind: 'input',
    hint: {flag: ['series', 'period', 'strict']},
  })
  // A read that fails for another reason than absence is not mistaken for a missing file.
  const looping = await rawStore({[DATA_KEY]: dataFile(QUEST_ROWS)})
  await symlink('population.json', path.join((looping as FolderStore).root, 'datausa', 'population.json')).catch(async () => {
    await mkdir(path.join((looping as FolderStore).root, 'datausa'))
    await symlink('population.json', path.join((looping as FolderStore).root, 'datausa', 'population.json'))
  })
  await t.rejects(transformStores({raw: looping, processed}), {code: 'ELOOP'})
  const noPopulation = await rawStore({[DATA_KEY]: dataFile(QUEST_ROWS)})
  await t.rejects(transformStores({raw: noPopulation, processed}), /datausa\/population.json not found in .*: run `dataquest fetch` first/)
  t.same(await processed.list(), [])
})

t.test('progress is reported as the data file is read', async (t) => {
  const raw = await questStore()
  const seen: {bytes: number; totalBytes: number}[] = []
  const result = await transformStores({raw, processed: await processedStore(), onProgress: (progress) => seen.push(progress)})
  t.ok(seen.length > 0)
  t.same(seen.at(-1), {bytes: result.bytes, totalBytes: result.bytes})
})

t.test('the scanner: chunk boundaries anywhere, bounded lines, exact-range guard', async (t) => {
  const text = Buffer.from(dataFile(QUEST_ROWS))
  const whole = await scanDataFile(streamReader(Readable.from([text])), {key: 'k', seriesId: 'PRS30006032', period: 1})
  const scanner = new DataFileScanner({key: 'k', seriesId: 'PRS30006032', period: 1})
  for (let i = 0; i < text.length; i += 7) scanner.push(text.subarray(i, i + 7))
  scanner.end()
  t.same(asArrays(sumsOf(scanner)), asArrays(whole.series))
  t.same(scanner.picked, whole.picked)
  t.equal(whole.md5, md5Hex(text))

  // A series id that starts with the previous one is another series (the quick path leaves it to the general one).
  const prefixed = new DataFileScanner({key: 'k', seriesId: 'PRS1', period: 1})
  prefixed.push(Buffer.from(`series_id\tyear\tperiod\tvalue\nPRS1\t2000\tQ01\t1\nPRS12\t2000\tQ01\t2\nPRS1\t2000\tQ01\t4\n`))
  prefixed.end()
  // PRS1 reappears: its packed sums are taken back and added to.
  t.same(asArrays(sumsOf(prefixed)), [['PRS1', {quarterly: [2000, 5000], annual: []}], ['PRS12', {quarterly: [2000, 2000], annual: []}]])

  const long = new DataFileScanner({key: 'k', seriesId: 'x', period: 1})
  t.throws(() => long.push(Buffer.alloc(MAX_LINE_BYTES + 1, 'a')), /line 1 is longer than 1048576 bytes; not a BLS data file/)
  const growing = new DataFileScanner({key: 'k', seriesId: 'x', period: 1})
  growing.push(Buffer.alloc(MAX_LINE_BYTES / 2, 'a'))
  t.throws(() => growing.push(Buffer.alloc(MAX_LINE_BYTES / 2 + 1, 'a')), /longer than/)
  const joined = new DataFileScanner({key: 'k', seriesId: 'x', period: 1})
  joined.push(Buffer.alloc(MAX_LINE_BYTES / 2, 'a'))
  t.throws(() => joined.push(Buffer.from(`${'a'.repeat(MAX_LINE_BYTES / 2 + 1)}\n`)), /longer than/)
  const inChunk = new DataFileScanner({key: 'k', seriesId: 'x', period: 1})
  t.throws(() => inChunk.push(Buffer.from(`${'a'.repeat(MAX_LINE_BYTES + 1)}\n`)), /longer than/)

  const huge: DataRow[] = Array.from({length: 10}, () => ['PRSX', 2000, 'Q01', '999999999999.999'])
  await t.rejects(run([...QUEST_ROWS, ...huge]), /line 23: the 2000 sum leaves the range of exact arithmetic/)
  // Another series in between: PRSX's sum goes on from where it was, and fails on its tenth row as before.
  await t.rejects(run([...QUEST_ROWS, ...huge.slice(0, 5), ['PRSY', 2000, 'Q01', '1'], ...huge.slice(5)]), /line 24: the 2000 sum leaves the range/)

  // A stream that fails mid-way fails the transform.
  const failing = new Readable({
    read() {
      this.destroy(new Error('connection reset'))
    },
  })
  await t.rejects(scanDataFile(streamReader(failing), {key: 'k', seriesId: 'x', period: 1}), /connection reset/)
})

t.test('packed sums: entries across blocks, a series taken back, two scans merged', async (t) => {
  const packer = new SeriesPacker()
  // 8,000 series of 30 years in a row each: 4 + 30 numbers an entry (the annual sums of a series with quarterly ones are dropped), three blocks of 131,072.
  const totals = (id: number) => ({quarterly: Array.from({length: 30}, (_, i) => [1990 + i, id * 1000 + i]).flat(), annual: id % 2 ? [2000, -id] : []})
  for (let id = 0; id < 8000; id++) packer.add(`S${id}`, totals(id))
  t.same(packer.takeBack('S4321'), {...totals(4321), annual: []}, 'taken back without its annual sums')
  t.equal(packer.takeBack('S4321'), undefined, 'taken back once: the scanner holds it now')
  t.equal(packer.takeBack('nope'), undefined)
  packer.add('S4321', {quarterly: [2020, 7], annual: []})
  const packed = packer.packed()
  t.equal(packed.blocks.length, 3)
  // Another scan (worker) saw S7 and S8 too, and one series of its own.
  const other = new SeriesPacker()
  other.add('S7', {quarterly: [1990, 1, 2050, 2], annual: []})
  other.add('S8', {quarterly: [], annual: [2001, 5]})
  other.add('T1', {quarterly: [2000, 3], annual: []})
  const series = new MergedSeries()
  series.add(other.packed())
  series.add(packed)
  t.equal(series.size, 8001)
  t.same(Array.from(series.get('S7999')!.quarterly), totals(7999).quarterly, 'the last entry, in the third block')
  t.same(Array.from(series.get('S7999')!.annual), [], 'scored on its quarters: no annual sums kept')
  t.same(Array.from(series.get('S4321')!.quarterly), [2020, 7], 'the entry taken back is skipped, its new one read')
  t.same(series.get('S7'), {quarterly: [1990, 7001, 2050, 2, ...totals(7).quarterly.slice(2)], annual: []}, 'added up')
  t.same(series.get('S8'), {quarterly: totals(8).quarterly, annual: []}, 'annual sums of one scan, quarterly of another: the quarterly ones')
  t.same(Array.from(series.get('T1')!.quarterly), [2000, 3])
  t.equal(series.get('nope'), undefined)
  t.same([...series.keys()].slice(0, 3), ['S7', 'S8', 'T1'], 'in the order first seen')
  t.equal([...series].length, 8001)
  // Years with a gap, or out of order, are kept as year/sum pairs: read back as given.
  const sparse = new SeriesPacker()
  sparse.add('G', {quarterly: [1990, 1, 1992, 2], annual: [2001, 3]})
  sparse.add('A', {quarterly: [], annual: [2001, 3, 2000, 4]})
  sparse.add('R', {quarterly: [], annual: []})
  const read = new MergedSeries()
  read.add(sparse.packed())
  t.same(read.get('G'), {quarterly: new Float64Array([1990, 1, 1992, 2]), annual: new Float64Array(0)})
  t.same(read.get('A'), {quarterly: new Float64Array(0), annual: new Float64Array([2001, 3, 2000, 4])})
  t.same(read.get('R'), {quarterly: new Float64Array(0), annual: new Float64Array(0)})
  // The best year, read in place: the highest sum, ties to the earliest year, on the quarters if any.
  t.same(read.best('G'), {year: 1992, sum: 2, basis: 'quarterly'}, 'pairs, quarterly')
  t.same(read.best('A'), {year: 2000, sum: 4, basis: 'annual'}, 'pairs, annual')
  t.same(series.best('S10'), {year: 2019, sum: 10029, basis: 'quarterly'}, 'a range of years')
  t.same(series.best('S7'), {year: 2019, sum: 7029, basis: 'quarterly'}, 'added up across scans')
  t.equal(series.best('nope'), undefined)
  // Released once read: the blocks' memory is gone (their buffers detached), and so are the series.
  series.release()
  t.equal(packed.blocks[0]!.buffer.byteLength, 0, 'the block now holds nothing')
  t.equal(series.size, 0)
  const ties = new SeriesPacker()
  ties.add('N', {quarterly: [], annual: [2000, 5, 2001, 5]})
  ties.add('P', {quarterly: [], annual: [2003, 5, 2001, 5]})
  const tied = new MergedSeries()
  tied.add(ties.packed())
  t.same(tied.best('N'), {year: 2000, sum: 5, basis: 'annual'}, 'a tie in a range: the earliest')
  t.same(tied.best('P'), {year: 2001, sum: 5, basis: 'annual'}, 'a tie in pairs: the earliest')
  // Two scans' annual sums of a series without quarters are added up.
  const first = new SeriesPacker()
  first.add('A', {quarterly: [], annual: [2000, 1]})
  read.add(first.packed())
  t.same(read.get('A'), {quarterly: new Float64Array(0), annual: [2001, 3, 2000, 5]})
  t.same(read.best('A'), {year: 2000, sum: 5, basis: 'annual'}, 'added up, annual')
})

t.test('the byte scanner agrees with a plain string reading of the same grammar (random lines, both paths, LF and CRLF)', async (t) => {
  let seed = 7
  const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!
  const ids = ['PRS1', 'PRS2', ' PRS1', 'PRS1 ', '', 'PRS\u00e92']
  // The quick path reads a year as one word: bytes just outside 0–9 ('/' 0x2f, ':' 0x3a, '?' 0x3f) and beyond ASCII among them.
  const years = ['2000', '2001', ' 2001 ', '201', '20011', '2x01', '', '20:1', '/001', '200?', '2\u00b901']
  const periods = ['Q01', 'Q04', 'Q05', ' Q02', 'Q00', 'Q06', 'q01', 'Q1', '']
  // More than 15 figures (leading zeros) is a good value the WebAssembly rows leave to JavaScript.
  const values = ['1', '-2.5', '+0.125', '.5', '00000000000000012.5', '7.', '-', '.', '1.2345', '12 3', '999999999999.999', '1000000000000', 'abc', ' 3.25 ', '', '         2.6', '        ']
  // Runs of one series, as in a real file (the quick path takes a run's later lines).
  let runId = ids[0]!
  const lines = Array.from({length: 5000}, () => {
    // Mostly good fields, so that many lines are wholly good.
    const good = random(3) > 0
    if (random(5) === 0) runId = pick(ids.slice(0, 4))
    const fields = [good ? runId : pick(ids), pick(good ? years.slice(0, 3) : years), pick(good ? periods.slice(0, 4) : periods), pick(good ? values.slice(0, 6) : values), pick(['', 'R', ' ', 'R\t\t'])]
    return fields.slice(0, random(7) === 0 ? random(4) : 5).join('\t')
  })
  // The oracle: split on tabs, trim, test each field with a regular expression; sums in BigInt.
  const expected = new Map<string, bigint>()
  let accepted = 0
  let rejected = 0
  for (const line of lines) {
    if (line.trim() === '') continue
    const [id, year, period, value] = line.split('\t').map((field) => field.trim())
    const valid =
      id !== undefined && id !== '' && /^\d{4}$/.test(year ?? '') && /^Q0[1-5]$/.test(period ?? '') &&
      /^[+-]?(\d+(\.\d{0,3})?|\.\d{1,3})$/.test(value ?? '') && Math.abs(Number(value)) < 1e12
    if (!valid) {
      rejected++
      continue
    }
    accepted++
    const [whole, fraction = ''] = value!.replace(/^[+-]/, '').split('.')
    const scaled = BigInt(`${whole || '0'}${fraction.padEnd(3, '0')}`) * (value!.startsWith('-') ? -1n : 1n)
    const key = `${id}|${period === 'Q05' ? 'annual' : 'quarterly'}|${year}`
    expected.set(key, (expected.get(key) ?? 0n) + scaled)
  }
  t.ok(accepted > 1000 && rejected > 1000, `both kinds of line (${accepted} good, ${rejected} bad)`)
  // The annual sums of a series with quarterly ones are not kept: it is scored on its quarters.
  const withQuarters = new Set([...expected.keys()].filter((key) => key.includes('|quarterly|')).map((key) => key.split('|')[0]))
  for (const key of expected.keys()) if (key.includes('|annual|') && withQuarters.has(key.split('|')[0])) expected.delete(key)
  // The standard column order takes the quick path for most lines; with a column before series_id, every line takes the general one.
  for (const [layout, header, prefix] of [['standard', 'series_id\tyear\tperiod\tvalue\tfootnote_codes', ''], ['another column first', 'x\tseries_id\tyear\tperiod\tvalue', 'x\t']]) {
    for (const eol of ['\n', '\r\n']) {
      const scanner = new DataFileScanner({key: 'k', seriesId: 'PRS1', period: 1})
      const text = Buffer.from([header, ...lines.map((line) => (line.trim() === '' ? line : prefix + line))].join(eol) + eol)
      // In chunks, so that lines also cross chunk ends.
      for (let at = 0; at < text.length; at += 4093) scanner.push(text.subarray(at, at + 4093))
      scanner.end()
      t.equal(scanner.rows, accepted, `${layout}, ${JSON.stringify(eol)}: rows`)
      t.equal(scanner.rejectedCount, rejected, `${layout}, ${JSON.stringify(eol)}: rejected`)
      const actual = new Map<string, bigint>()
      for (const [id, totals] of sumsOf(scanner)) {
        for (const [basis, sums] of [['quarterly', totals.quarterly], ['annual', totals.annual]] as const) {
          for (const [year, sum] of yearSums(sums)) actual.set(`${id}|${basis}|${year}`, BigInt(sum))
        }
      }
      t.same(actual, expected, `${layout}, ${JSON.stringify(eol)}: sums`)
    }
  }
})

const fixtures = path.resolve(projectRoot, 'fixtures')
const files = path.join(fixtures, 'bls-pr-2024-06-06/files')

t.test('the real BLS snapshot and population responses', async (t) => {
  const read = (file: string): Promise<string> => readFile(file, 'utf8')
  const raw = await rawStore({
    [DATA_KEY]: await read(path.join(files, 'pr.data.0.Current')),
    ...Object.fromEntries(
      await Promise.all(['pr.series', 'pr.sector', 'pr.measure', 'pr.duration'].map(async (name) => [`bls/pr/${name}`, await read(path.join(files, name))])),
    ),
    [POPULATION_KEY]: await read(path.join(fixtures, 'datausa/nation-acs1-tesseract.json')),
  })
  const result = await transformStores({raw, processed: await processedStore()})
  const [population, bestYear, series] = result.reports as [PopulationStatsReport, BestYearReport, SeriesPopulationReport]
  t.equal(bestYear.rows.length, 282)
  t.equal(bestYear.rows.filter((row) => row.basis === 'annual').length, 45)
  t.match(
    bestYear.rows.find((row) => row.series_id === 'PRS30006011'),
    {year: 2022, value: 16.4, basis: 'quarterly', title: 'Manufacturing — Employment — % Change same quarter 1 year ago'},
  )
  t.equal(result.rejected.count, 0)
  t.equal(population.result.mean, 322069808)
  t.ok(Math.abs(population.result.stddev - 4158441.040908095) < 1e-6)
  t.ok(Math.abs(population.result.stddevPopulation - 3796119.936934378) < 1e-6)
  t.same(
    series.rows.filter((row) => row.year >= 2019 && row.year <= 2020).map((row) => row.population),
    [328239523, null],
  )

  // The legacy shape gives the same statistics; the State drilldown is refused.
  for (const [name, error] of [
    ['nation-acs1-legacy.json', undefined],
    ['state-acs5-tesseract.json', /rows for 2013: a drilldown other than Nation/],
  ] as const) {
    const json = JSON.parse(await read(path.join(fixtures, 'datausa', name)))
    if (error) t.throws(() => populationYears(json, name), error)
    else t.same(populationStats(populationYears(json, name), 2013, 2018), population.result)
  }
})
