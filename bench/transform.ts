/**
 * `npm run bench`: `dataquest transform` against DuckDB, pandas and papaparse, in the same run, on
 * the same file: 100 copies of the real pr.data.0.Current with the series ids renamed per copy
 * (28,200 series), in a raw folder without a manifest (as a user's first transform finds it).
 * Whole processes, interleaved, best of N; wall time and peak RSS of each, as ratios to DuckDB.
 *
 *   npm run bench                       # 100×, best of 3
 *   npm run bench -- --times 1000       # 1.5 GB, 282,000 series
 *   npm run bench -- --runs 5 --times 10,100
 *   npm run bench -- --times 1000 --skip pandas,papaparse   # pandas: ~11 GB and minutes a run at 1000×
 *   npm run bench -- --times 1000 --keep    # keep the generated file for the next run, and reuse a kept one
 *
 * --keep keeps each generated raw folder in <tmpdir>/dataquest-bench-x<times> (1.5 GB at 1000×),
 * where a later --keep run finds it instead of rebuilding it (a minute or more); delete it when done.
 *
 * Reads the real file vendored in fixtures/; pandas is measured where /usr/bin/python3 (or BENCH_PYTHON) has it.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createWriteStream, existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {finished} from 'node:stream/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const fixtures = path.resolve(root, 'fixtures')
const REAL = path.join(fixtures, 'bls-pr-2024-06-06/files/pr.data.0.Current')
const POPULATION = path.join(fixtures, 'datausa/nation-acs1-tesseract.json')
/** The Python that times every process (and runs pandas, where it has it): Debian's, whose python3-pandas is an apt install away, unless BENCH_PYTHON says. */
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3'

/** Best year per series over Q01–Q04 sums, ties to the earliest year: the query of best_year_by_series. */
const DUCKDB = `
import {DuckDBInstance} from '@duckdb/node-api'
const connection = await (await DuckDBInstance.create(':memory:')).connect()
const result = await connection.runAndReadAll(\`
  WITH rows AS (
    SELECT trim(r.series_id) AS series_id, CAST(trim(r.year) AS INTEGER) AS year, trim(r.period) AS period, CAST(trim(r.value) AS DECIMAL(18, 3)) AS value
    FROM read_csv(\${JSON.stringify(process.argv[2])}, delim = '\\t', header = true, all_varchar = true) AS r
  ), sums AS (
    SELECT series_id, year, sum(value) AS total FROM rows WHERE period IN ('Q01', 'Q02', 'Q03', 'Q04') GROUP BY series_id, year
  )
  SELECT series_id, year, total FROM sums QUALIFY row_number() OVER (PARTITION BY series_id ORDER BY total DESC, year) = 1\`)
console.log(result.getRows().length)
`

const PANDAS = `
import sys, pandas as pd
df = pd.read_csv(sys.argv[1], sep='\\t', dtype=str, usecols=[0, 1, 2, 3])
df.columns = [c.strip() for c in df.columns]
df = df.apply(lambda c: c.str.strip())
df = df[df.period.isin(['Q01', 'Q02', 'Q03', 'Q04'])]
df['value'] = pd.to_numeric(df.value)
sums = df.groupby(['series_id', 'year'], as_index=False).value.sum().sort_values(['series_id', 'value', 'year'], ascending=[True, False, True])
print(len(sums.drop_duplicates('series_id')))
`

const PAPAPARSE = `
import {createReadStream} from 'node:fs'
import Papa from 'papaparse'
const sums = new Map()
Papa.parse(createReadStream(process.argv[2]), {delimiter: '\\t', header: true, transformHeader: (h) => h.trim(), transform: (v) => v.trim(),
  chunk({data}) { for (const row of data) if (/^Q0[1-4]$/.test(row.period)) { const key = row.series_id + '|' + row.year; sums.set(key, (sums.get(key) ?? 0) + Math.round(Number(row.value) * 1000)) } },
  complete() { console.log(new Set([...sums.keys()].map((k) => k.split('|')[0])).size) }})
`

/** Wall seconds and peak RSS of one whole process: python's RUSAGE_CHILDREN is the child's own peak. */
function measure(command: string[]): {seconds: number; rssMB: number} {
  const runner = `import resource, subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)`
  const [seconds, rssKB] = execFileSync(PYTHON, ['-c', runner, ...command], {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim().split(' ').map(Number)
  return {seconds: seconds!, rssMB: rssKB! / 1024}
}

/** Written beside raw/ once a generated folder is whole (--keep). */
const COMPLETE = 'complete'

/** The real file, copied `times` times with each copy's series ids renamed (PRS30006011 → PRS30006011_7). */
async function buildRaw(dir: string, times: number): Promise<string> {
  const file = path.join(dir, 'raw/bls/pr/pr.data.0.Current')
  // A kept folder is complete: the marker is written last.
  if (existsSync(path.join(dir, COMPLETE))) return file
  await rm(dir, {recursive: true, force: true})
  const text = await readFile(REAL, 'latin1')
  const firstBreak = text.indexOf('\n') + 1
  const lines = text.slice(firstBreak).split(/(?<=\n)/)
  await mkdir(path.dirname(file), {recursive: true})
  await mkdir(path.join(dir, 'raw/datausa'), {recursive: true})
  await writeFile(path.join(dir, 'raw/datausa/population.json'), await readFile(POPULATION))
  const out = createWriteStream(file)
  out.write(Buffer.from(text.slice(0, firstBreak), 'latin1'))
  for (let copy = 0; copy < times; copy++) {
    const renamed = lines.map((line) => {
      const tab = line.indexOf('\t')
      return `${`${line.slice(0, tab).trimEnd()}_${copy}`.padEnd(17)}${line.slice(tab)}`
    })
    if (!out.write(Buffer.from(renamed.join(''), 'latin1'))) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  out.end()
  await finished(out)
  await writeFile(path.join(dir, COMPLETE), '')
  return file
}

async function main(): Promise<void> {
  const {values} = parseArgs({options: {runs: {type: 'string', default: '3'}, times: {type: 'string', default: '100'}, skip: {type: 'string', default: ''}, keep: {type: 'boolean', default: false}}})
  const skipped = new Set(values.skip.split(',').filter(Boolean))
  for (const name of skipped) if (!['pandas', 'papaparse'].includes(name)) throw new Error(`--skip ${name}: only pandas and papaparse can be skipped`)
  if (!existsSync(path.join(root, 'dist/commands/transform.js'))) throw new Error('dist/ is not built: run `npm run build` first')
  const hasPandas = !skipped.has('pandas') && spawnSync(PYTHON, ['-c', 'import pandas'], {stdio: 'ignore'}).status === 0
  const work = await mkdtemp(path.join(os.tmpdir(), 'dataquest-bench-'))
  process.once('SIGINT', () => void rm(work, {recursive: true, force: true}).then(() => process.exit(130)))
  try {
    const scripts = path.join(work, 'scripts')
    await mkdir(scripts)
    // The node scripts run from the project, so that they find its node_modules.
    const duckdb = path.join(root, `.bench-duckdb-${process.pid}.mjs`)
    const papaparse = path.join(root, `.bench-papaparse-${process.pid}.mjs`)
    await writeFile(duckdb, DUCKDB)
    await writeFile(papaparse, PAPAPARSE)
    // Not pandas.py: a script of that name is what `import pandas` would find first.
    await writeFile(path.join(scripts, 'pandas_best_year.py'), PANDAS)
    try {
      const runs = Number(values.runs)
      console.log(`${os.availableParallelism()} cores, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (start); best of ${runs}, interleaved`)
      if (skipped.size > 0) console.log(`not measured: ${[...skipped].join(', ')} (--skip)`)
      if (!skipped.has('pandas') && !hasPandas) console.log(`pandas: not measured (${PYTHON} has no pandas; apt-get install python3-pandas, or set BENCH_PYTHON)`)
      for (const times of values.times.split(',').map(Number)) {
        const dir = values.keep ? path.join(os.tmpdir(), `dataquest-bench-x${times}`) : path.join(work, `x${times}`)
        const kept = values.keep && existsSync(path.join(dir, COMPLETE))
        const file = await buildRaw(dir, times)
        if (values.keep) console.log(`${kept ? 'reusing' : 'kept'} ${dir} (--keep)`)
        // Reports of an earlier run would make this one write nothing: each run starts without them.
        await rm(path.join(dir, 'processed'), {recursive: true, force: true})
        const tools: [string, string[]][] = [
          ['dataquest transform', [process.execPath, 'bin/run.js', 'transform', '--raw', path.join(dir, 'raw'), '--processed', path.join(dir, 'processed'), '--json']],
          ['DuckDB (@duckdb/node-api)', [process.execPath, duckdb, file]],
          ...(skipped.has('papaparse') ? [] : [['papaparse (parse + sums)', [process.execPath, papaparse, file]] as [string, string[]]]),
          ...(hasPandas ? [['pandas', [PYTHON, path.join(scripts, 'pandas_best_year.py'), file]] as [string, string[]]] : []),
        ]
        const best = new Map<string, {seconds: number; rssMB: number}>()
        for (let run = 0; run < runs; run++) {
          for (const [name, command] of tools) {
            const m = measure(command)
            const previous = best.get(name)
            best.set(name, {seconds: Math.min(m.seconds, previous?.seconds ?? Infinity), rssMB: Math.min(m.rssMB, previous?.rssMB ?? Infinity)})
          }
        }
        const duck = best.get('DuckDB (@duckdb/node-api)')!
        console.log(`\n${times}× (${(Number(execFileSync('stat', ['-c', '%s', file], {encoding: 'utf8'})) / 1e6).toFixed(0)} MB, ${282 * times} series)`)
        console.log(`${'tool'.padEnd(28)}${'wall s'.padStart(8)}${'× DuckDB'.padStart(10)}${'peak RSS'.padStart(11)}${'× DuckDB'.padStart(10)}`)
        for (const [name, m] of best) {
          console.log(`${name.padEnd(28)}${m.seconds.toFixed(2).padStart(8)}${(m.seconds / duck.seconds).toFixed(2).padStart(10)}${`${m.rssMB.toFixed(0)} MB`.padStart(11)}${(m.rssMB / duck.rssMB).toFixed(2).padStart(10)}`)
        }
        const ours = best.get('dataquest transform')!
        const pandas = best.get('pandas')
        console.log(`targets: wall ≤ 0.5× DuckDB: ${ours.seconds <= 0.5 * duck.seconds ? 'yes' : 'NO'}; peak RSS ≤ ${times >= 1000 ? '400 MB' : 'DuckDB'}: ${ours.rssMB <= (times >= 1000 ? 400 : duck.rssMB) ? 'yes' : 'NO'}; ≥ 5× faster than pandas: ${pandas ? (pandas.seconds >= 5 * ours.seconds ? 'yes' : 'NO') + ` (${(pandas.seconds / ours.seconds).toFixed(1)}×)` : 'not measured'}`)
        if (!values.keep) await rm(dir, {recursive: true, force: true})
      }
      console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (end)`)
    } finally {
      await rm(duckdb, {force: true})
      await rm(papaparse, {force: true})
    }
  } finally {
    await rm(work, {recursive: true, force: true})
  }
}

await main()
