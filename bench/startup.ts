// Start-up of the built CLI as a user runs it (bin/run.js + dist/ + oclif.manifest.json), against
// `node -e 0` measured in the same run: whole processes, interleaved, N rounds; median and best.
// Run: npm run bench:startup [-- N]   (it runs `npm run prepare` first: the bundle and the manifest)
// `-- --instructions` counts each process's instructions under valgrind's callgrind instead: the
// work done, which a shared machine's noise does not move (though page faults and I/O it omits).
// `-- --node <path>` measures another Node binary (Node 22+ has the compile cache; Node 20 has not).
// Every case runs once before measuring, so the compile cache is warm, as for any later call.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {writeReports} from '../src/reports/store.js'
import type {BestYearReport} from '../src/reports/types.js'
import {FolderStore} from '../src/stores/folder.js'
import {projectRoot} from '../test/helpers/cli.js'
import {populationReport, seriesReport} from '../test/helpers/sample-reports.js'

for (const needed of ['dist/commands/report.js', 'oclif.manifest.json']) {
  if (!existsSync(path.join(projectRoot, needed))) {
    console.error(`${needed} is missing: run \`npm run prepare\` (build + oclif manifest) first`)
    process.exit(1)
  }
}

// A processed folder with the three reports, the best-year one as large as the real one (282 series).
const processed = await mkdtemp(path.join(os.tmpdir(), 'dataquest-startup-'))
const bestYear: BestYearReport = {
  report: 'best_year_by_series',
  parameters: {dataFile: 'pr.data.0.Current'},
  inputs: [{key: 'bls/pr/pr.data.0.Current', md5: '0123456789abcdef0123456789abcdef'}],
  rows: Array.from({length: 282}, (_, i) => ({series_id: `PRS${String(30006011 + i)}`, year: 2000 + (i % 24), value: i / 10, basis: 'quarterly' as const})),
}
await writeReports(new FolderStore(processed), [populationReport(), bestYear, seriesReport()])

const run = path.join(projectRoot, 'bin', 'run.js')
// `fresh`: an empty cache folder each run (a first call: help rendered by oclif, no compile cache yet).
const cases: [name: string, argv: string[], target: number | undefined, fresh?: boolean][] = [
  ['node -e 0', ['-e', '0'], undefined],
  ['dataquest --help', [run, '--help'], 1.6],
  ['dataquest report --help', [run, 'report', '--help'], 1.6],
  ['dataquest fetch --help', [run, 'fetch', '--help'], 3],
  ['dataquest --help, first call', [run, '--help'], undefined, true],
  ['dataquest report (local folder)', [run, 'report', '--processed', processed], 4],
]
const args = process.argv.slice(2)
const instructions = args.includes('--instructions')
const node = args.includes('--node') ? args[args.indexOf('--node') + 1]! : process.execPath
const rounds = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 5)
// A cache folder of the bench's own (help and compile caches), warmed by the first run of each case.
const cache = await mkdtemp(path.join(os.tmpdir(), 'dataquest-startup-cache-'))
const env = {...process.env, NO_COLOR: '1', XDG_CACHE_HOME: cache}
const freshEnv = (): NodeJS.ProcessEnv => ({...env, XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), 'dataquest-startup-fresh-'))})

function runOnce(name: string, argv: string[], fresh = false): number {
  const runEnv = fresh ? freshEnv() : env
  const started = performance.now()
  const result = spawnSync(node, argv, {stdio: ['ignore', 'ignore', 'pipe'], env: runEnv})
  if (fresh) rmSync(runEnv.XDG_CACHE_HOME!, {recursive: true, force: true})
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`${name} exited ${result.status}: ${result.stderr}`)
  return ms
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Wall milliseconds of `rounds` runs each, interleaved: median (the target's measure) and best. */
function wall(): {median: Map<string, number>; best: Map<string, number>} {
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) for (const [name, argv, , fresh] of cases) times.get(name)!.push(runOnce(name, argv, fresh))
  return {
    median: new Map([...times].map(([name, ms]) => [name, median(ms)])),
    best: new Map([...times].map(([name, ms]) => [name, Math.min(...ms)])),
  }
}

/** Instructions of each case under callgrind (all at once: the count does not depend on the load). */
async function countInstructions(): Promise<Map<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dataquest-callgrind-'))
  try {
    const counts = await Promise.all(
      cases.map(async ([name, argv, , fresh], i) => {
        const out = path.join(dir, String(i))
        const valgrindArgs = ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, node, ...argv]
        const child = spawn('valgrind', valgrindArgs, {stdio: 'ignore', env: fresh ? freshEnv() : env})
        const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve))
        if (code !== 0) throw new Error(`${name} under valgrind exited ${code} (is valgrind installed?)`)
        const summary = /^summary: (\d+)/m.exec(await readFile(out, 'utf8'))
        return [name, Number(summary![1])] as const
      }),
    )
    return new Map(counts)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

// Warm: the help cache and the compile cache (Node 22+) are written by a first run, and a user's later calls use them.
for (const [name, argv, , fresh] of cases) runOnce(name, argv, fresh)
const measured = instructions ? {median: await countInstructions(), best: undefined} : wall()
await rm(processed, {recursive: true, force: true})
await rm(cache, {recursive: true, force: true})

const version = spawnSync(node, ['--version'], {encoding: 'utf8'}).stdout.trim()
console.log(
  `start-up, Node ${version}, ${instructions ? 'instructions under callgrind' : `${rounds} rounds, median (best)`}; nproc ${os.availableParallelism()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
)
const ratio = (values: Map<string, number>, name: string): number => values.get(name)! / values.get('node -e 0')!
console.table(
  cases.map(([name, , target]) => ({
    command: name,
    [instructions ? 'M instructions' : 'median ms']: Math.round(measured.median.get(name)! / (instructions ? 1e6 : 1)),
    '× node -e 0': ratio(measured.median, name).toFixed(2),
    ...(measured.best ? {'best ms': Math.round(measured.best.get(name)!), 'best ×': ratio(measured.best, name).toFixed(2)} : {}),
    target: target ? `≤ ${target}×` : '',
    met: target ? (ratio(measured.median, name) <= target ? 'yes' : 'NO') : '',
  })),
)
