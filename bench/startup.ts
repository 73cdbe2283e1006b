// Start-up of the built CLI as a user runs it (bin/run.js + dist/ + oclif.manifest.json), against
// `node -e 0` measured in the same run: whole processes, interleaved, best of N.
// Run: npm run bench:startup [-- N]   (it runs `npm run prepare` first: the bundle and the manifest)
// `-- --instructions` counts each process's instructions under valgrind's callgrind instead: the
// work done, which a shared machine's noise does not move (though page faults and I/O it omits).
import {spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
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
const cases: [name: string, argv: string[], target: number | undefined][] = [
  ['node -e 0', ['-e', '0'], undefined],
  ['dataquest --help', [run, '--help'], 3],
  ['dataquest report --help', [run, 'report', '--help'], 3],
  ['dataquest fetch --help', [run, 'fetch', '--help'], 3],
  ['dataquest report (local folder)', [run, 'report', '--processed', processed], 4],
]
const instructions = process.argv.includes('--instructions')
const rounds = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 5)
const env = {...process.env, NO_COLOR: '1'}

/** Wall milliseconds, best of `rounds`, interleaved. */
function bestWall(): Map<string, number> {
  const best = new Map<string, number>()
  for (let round = 0; round < rounds; round++) {
    for (const [name, argv] of cases) {
      const started = performance.now()
      const result = spawnSync(process.execPath, argv, {stdio: ['ignore', 'ignore', 'pipe'], env})
      const ms = performance.now() - started
      if (result.status !== 0) throw new Error(`${name} exited ${result.status}: ${result.stderr}`)
      best.set(name, Math.min(best.get(name) ?? Infinity, ms))
    }
  }
  return best
}

/** Instructions of each case under callgrind (all at once: the count does not depend on the load). */
async function countInstructions(): Promise<Map<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dataquest-callgrind-'))
  try {
    const counts = await Promise.all(
      cases.map(async ([name, argv], i) => {
        const out = path.join(dir, String(i))
        const args = ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, ...argv]
        const child = spawn('valgrind', args, {stdio: 'ignore', env})
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

const best = instructions ? await countInstructions() : bestWall()
await rm(processed, {recursive: true, force: true})

const baseline = best.get('node -e 0')!
const unit = instructions ? 'M instructions' : 'best ms'
console.log(
  `start-up, ${instructions ? 'instructions under callgrind' : `best of ${rounds}`}; nproc ${os.availableParallelism()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
)
console.table(
  cases.map(([name, , target]) => ({
    command: name,
    [unit]: Math.round(best.get(name)! / (instructions ? 1e6 : 1)),
    '× node -e 0': (best.get(name)! / baseline).toFixed(2),
    target: target ? `≤ ${target}×` : '',
    met: target ? (best.get(name)! / baseline <= target ? 'yes' : 'NO') : '',
  })),
)
