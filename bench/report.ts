// Reports of any size render: a best-year report of 200,000 rows (titles included) read back with
// readReport (the reader of `report` and `consume`) and rendered in every format, each timed
// against a reference measured in the same run (JSON.stringify of the same rows); best of 3.
// Run: npm run bench:report [-- ROWS]
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {REPORT_FORMATS, renderReport} from '../src/render/reports.js'
import {readReport, writeReports} from '../src/reports/index.js'
import {FolderStore} from '../src/stores/folder.js'
import {bigBestYear} from '../test/helpers/sample-reports.js'

const count = Number(process.argv[2] ?? 200_000)
const report = bigBestYear(count)

const bestOf3 = async (run: () => unknown): Promise<number> => {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await run()
    best = Math.min(best, performance.now() - started)
  }
  return best
}

const root = await mkdtemp(path.join(os.tmpdir(), 'dataquest-bench-report-'))
const store = new FolderStore(root)
await writeReports(store, [report])
const reference = await bestOf3(() => JSON.stringify(report.rows))
const rows: Record<string, string | number>[] = [{step: 'JSON.stringify (reference)', ms: Math.round(reference), ratio: 1}]
const read = await bestOf3(() => readReport(store, 'best_year_by_series.json'))
rows.push({step: 'readReport', ms: Math.round(read), ratio: Number((read / reference).toFixed(1))})
for (const format of REPORT_FORMATS) {
  let length = 0
  const ms = await bestOf3(async () => (length = (await renderReport(report, format)).length))
  rows.push({step: `render ${format}`, ms: Math.round(ms), ratio: Number((ms / reference).toFixed(1)), chars: length})
}
console.log(`${count} rows; nproc ${os.availableParallelism()}, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`)
console.table(rows)
await rm(root, {recursive: true, force: true})
