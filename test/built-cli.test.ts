// The CLI as users run it: bin/run.js on the esbuild bundle in dist/ (`npm run prepare`, which
// `npm test` runs first). What each command loads is traced through a module resolve hook.
import {existsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'
import path from 'node:path'

import t from 'tap'

import {writeReports} from '../src/reports/index.js'
import {FolderStore} from '../src/stores/folder.js'
import {PARALLEL_MIN_BYTES, transformStores} from '../src/transform/index.js'
import {DATA_KEY, questStore, removeTempDirs, tempDir} from './helpers/bls-files.js'
import {projectRoot, runBuilt as dataquest} from './helpers/cli.js'
import {bigBestYear} from './helpers/sample-reports.js'

t.teardown(removeTempDirs)

if (!existsSync(path.join(projectRoot, 'dist/cli/main.js'))) throw new Error('dist/ is not built: run `npm run prepare`')

/** The sources bundled into the dist/ files a process loaded, read from their source maps. */
async function bundledSources(loaded: string[]): Promise<string[]> {
  const sources: string[] = []
  for (const file of loaded.filter((file) => file.startsWith(path.join(projectRoot, 'dist')))) {
    sources.push(...(JSON.parse(await readFile(`${file}.map`, 'utf8')) as {sources: string[]}).sources)
  }
  return sources
}

/** The packages bundled into the dist/ files a process loaded. */
async function bundledPackages(loaded: string[]): Promise<Set<string>> {
  const names = (await bundledSources(loaded)).map((source) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1])
  return new Set(names.filter((name) => name !== undefined))
}

/** A file of DuckDB's packages (@duckdb/node-api, its native bindings). */
const isDuckdb = (file: string): boolean => file.includes(`${path.sep}@duckdb${path.sep}`)

t.test('--help loads the bundle alone: no file from node_modules, no AWS SDK, ora or papaparse', async (t) => {
  const help = await dataquest(['--help'])
  t.equal(help.code, 0, help.stderr)
  for (const command of ['consume', 'fetch', 'query', 'report', 'run', 'sync', 'transform']) t.match(help.stdout, new RegExp(`^ {2}${command} `, 'm'))
  t.same(help.loaded.filter((file) => file.includes(`${path.sep}node_modules${path.sep}`)), [], 'nothing resolved from node_modules')
  // bin/run.js, the start-up module (help cache, compile cache) and its chunk, oclif's entry and chunk, helpers, is-wsl.
  t.ok(help.loaded.length <= 7, `${help.loaded.length} modules: ${help.loaded.map((file) => path.relative(projectRoot, file)).join(', ')}`)
  const bundled = await bundledPackages(help.loaded)
  t.ok(bundled.has('@oclif/core'), 'oclif is in the bundle')
  for (const heavy of ['ora', 'papaparse']) t.notOk(bundled.has(heavy), `${heavy} not loaded`)

  const commandHelp = await dataquest(['report', '--help'])
  t.equal(commandHelp.code, 0)
  t.match(commandHelp.stdout, /^USAGE\n {2}\$ dataquest report /m)
  t.notOk([...(await bundledPackages(commandHelp.loaded))].some((name) => ['ora', 'papaparse'].includes(name)), 'a command help loads no command')
})

t.test('help printed once is printed again from the cache, without loading oclif', async (t) => {
  const cache = await tempDir()
  const first = await dataquest(['report', '--help'], {XDG_CACHE_HOME: cache})
  t.equal(first.code, 0, first.stderr)
  t.equal((await readdir(path.join(cache, 'dataquest', 'help'))).length, 1, 'kept')
  const again = await dataquest(['report', '--help'], {XDG_CACHE_HOME: cache})
  t.equal(again.code, 0, again.stderr)
  t.equal(again.stdout, first.stdout, 'the same help')
  t.notOk(again.loaded.some((file) => file.endsWith(`${path.sep}main.js`)), 'oclif not loaded')
  t.ok(again.loaded.length <= 5, `${again.loaded.length} modules: ${again.loaded.map((file) => path.relative(projectRoot, file)).join(', ')}`)
  // Another request, or the same in another environment, is rendered by oclif and kept beside it.
  const colour = await dataquest(['report', '--help'], {XDG_CACHE_HOME: cache, NO_COLOR: undefined, FORCE_COLOR: '1'})
  t.ok(colour.stdout.includes('\u001b['), 'in colour when asked')
  t.ok(colour.loaded.some((file) => file.endsWith(`${path.sep}main.js`)), 'oclif rendered it')
  t.equal((await readdir(path.join(cache, 'dataquest', 'help'))).length, 2)
})

t.test('a misspelt command gets the closest one and exit 127, from the bundled hook', async (t) => {
  const typo = await dataquest(['reprot'])
  t.equal(typo.code, 127)
  t.equal(typo.stderr, 'Error: `reprot` is not a dataquest command; did you mean `dataquest report`? see `dataquest --help`\n')
})

t.test('transform on worker threads from the bundle, then report: the reports the sources compute', async (t) => {
  const rows = Array.from({length: Math.ceil(PARALLEL_MIN_BYTES / 25)}, (_, i) => `PRS${String(i % 3000).padStart(8, '0')}\t${1990 + (i % 30)}\tQ0${(i % 5) + 1}\t${(i % 991) / 10}\r\n`)
  const raw = (await questStore()) as FolderStore
  await raw.write(DATA_KEY, `series_id\tyear\tperiod\tvalue\r\n${rows.join('')}`)
  const processed = await tempDir()
  const transform = await dataquest(['transform', '--raw', raw.root, '--processed', processed, '--series', 'PRS00000001', '--json'])
  t.equal(transform.code, 0, transform.stderr)
  t.equal(JSON.parse(transform.stdout).threads, availableParallelism() >= 2 ? availableParallelism() : 1, 'one worker per core')
  t.notOk(transform.loaded.some((file) => file.includes(`${path.sep}@aws-sdk${path.sep}`)), 'a folder transform loads no AWS SDK')
  t.notOk(transform.loaded.some(isDuckdb), 'transform loads no DuckDB')

  const expected = await transformStores({raw: new FolderStore(raw.root), processed: new FolderStore(await tempDir()), threads: 1, seriesId: 'PRS00000001'})
  const report = await dataquest(['report', '--processed', processed, '--json'])
  t.equal(report.code, 0, report.stderr)
  t.same(JSON.parse(report.stdout).reports, expected.reports)
  const bundled = await bundledPackages(report.loaded)
  // ora loads when a spinner starts, papaparse to parse lookup files (transform), the HTTP client for fetch (docs/benchmarks.md: start-up).
  for (const heavy of ['ora', 'papaparse']) t.notOk(bundled.has(heavy), `report loads no ${heavy}`)
  t.notOk((await bundledSources(report.loaded)).some((source) => source.endsWith('src/http/client.ts')), 'report loads no HTTP client')
  t.notOk(report.loaded.some((file) => file.includes(`${path.sep}@aws-sdk${path.sep}`)), 'a folder report loads no AWS SDK')
  t.notOk(report.loaded.some(isDuckdb), 'report loads no DuckDB')

  const csv = await dataquest(['report', '--processed', processed, '--format', 'csv', '--only', 'series'])
  t.equal(csv.code, 0, csv.stderr)
  t.match(csv.stdout, /^series_id,year,period,value,population\n/, 'CSV from the bundle')
  t.notOk((await bundledPackages(csv.loaded)).has('papaparse'), 'CSV is written without papaparse (util/csv.ts)')
})

t.test('piped, report prints every row: only a terminal cuts the table short', async (t) => {
  const processed = new FolderStore(await tempDir())
  await writeReports(processed, [bigBestYear(282)])
  const piped = await dataquest(['report', '--processed', processed.root, '--only', 'best-year'])
  t.equal(piped.code, 0, piped.stderr)
  t.equal(piped.stdout.split('\n').filter((line) => line.startsWith('PRS')).length, 282)
  t.notMatch(piped.stdout, /more rows? not shown/)
})

t.test('query loads DuckDB (from node_modules, native), and no other command does', async (t) => {
  const raw = (await questStore()) as FolderStore
  const processed = await tempDir()
  const query = await dataquest(['query', '--raw', raw.root, '--processed', processed, '--json', "SELECT count(*) AS n, sum(value) AS total FROM pr_data WHERE series_id = 'PRS30006011'"])
  t.equal(query.code, 0, query.stderr)
  t.same(JSON.parse(query.stdout).rows, [{n: 4, total: 10}])
  t.ok(query.loaded.some((file) => file.includes(path.join('@duckdb', 'node-api'))), 'query loads @duckdb/node-api')
  t.notOk((await bundledPackages(query.loaded)).has('@duckdb/node-api'), 'kept out of the bundle (native addon)')

  for (const argv of [['--help'], ['query', '--help'], ['transform', '--raw', raw.root, '--processed', processed], ['report', '--processed', processed]]) {
    const other = await dataquest(argv)
    t.equal(other.code, 0, `${argv.join(' ')}: ${other.stderr}`)
    t.notOk(other.loaded.some(isDuckdb), `${argv.join(' ')} loads no DuckDB`)
  }
})
