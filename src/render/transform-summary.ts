import type {TransformSummary} from '../transform/index.js'
import {formatBytes, renderResult, type RenderOptions, type SummaryRow} from './summary.js'
import {renderTable} from './table.js'

/** The closing table rows of a transform. */
export const transformRows = (s: TransformSummary): SummaryRow[] => [
  ['data file', s.dataFile],
  ['bytes read', formatBytes(s.bytes)],
  ['rows', s.rows],
  ['series', s.series],
  ['on the annual basis (Q05 only)', s.annualSeries],
  ['rejected rows', s.rejected.count],
  [s.dryRun ? 'files that would be written' : 'files written', s.files.filter((file) => file.status !== 'unchanged').length],
  ['files unchanged', s.files.filter((file) => file.status === 'unchanged').length],
]

/** What `dataquest transform` prints: the first rejected rows, the reports written, the summary. */
export function renderTransformSummary(summary: TransformSummary, options: RenderOptions): string {
  const {count, samples} = summary.rejected
  const rejected =
    count === 0
      ? []
      : [
          `${count} row${count === 1 ? '' : 's'} rejected (not summed)${count > samples.length ? `; the first ${samples.length}` : ''}:`,
          renderTable(samples, [
            {header: 'line', value: (row) => String(row.line), align: 'right'},
            {header: 'reason', value: (row) => row.reason},
            {header: 'fields', value: (row) => row.text.split('\t').map((field) => field.trim()).join(' | ')},
          ]),
          '',
        ]
  const files = summary.files.map((file) => ({
    key: file.key,
    action: file.status,
    reason: file.status === 'unchanged' ? 'same content, not rewritten' : 'content changed',
  }))
  const title = summary.dryRun ? `transform → ${summary.processed} (dry run, nothing written)` : `transform → ${summary.processed}`
  return [...rejected, renderResult(title, files, transformRows(summary), options)].join('\n')
}
