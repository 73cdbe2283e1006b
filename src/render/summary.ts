import {Chalk} from 'chalk'

import {renderTable} from './table.js'

export interface RenderOptions {
  /** Decorate headers (see useColor in progress.ts). */
  color: boolean
}

/** `1,504,795` */
export const formatCount = (n: number): string => n.toLocaleString('en-US')

/** `4.5 MB`, `562 B`: decimal units, one decimal. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** One line of a closing summary; a number is shown with thousands separators. */
export type SummaryRow = [label: string, value: number | string]

const headerStyle = ({color}: RenderOptions): ((text: string) => string) => {
  const chalk = new Chalk({level: color ? 1 : 0})
  return (text) => chalk.bold(text)
}

/** The closing summary of a command: a titled two-column table (label, value right-aligned). */
export function renderSummary(title: string, rows: readonly SummaryRow[], options: RenderOptions): string {
  return renderTable(
    rows,
    [
      {header: title, value: ([label]) => label},
      {header: '', value: ([, value]) => (typeof value === 'number' ? formatCount(value) : value), align: 'right'},
    ],
    headerStyle(options),
  )
}

/** A per-file table (a plan, or what changed): action, key, reason or error. */
export function renderFiles(files: readonly {key: string; action: string; reason: string; error?: string}[], options: RenderOptions): string {
  return renderTable(
    files,
    [
      {header: 'action', value: (file) => (file.error ? `${file.action} FAILED` : file.action)},
      {header: 'file', value: (file) => file.key},
      {header: 'why', value: (file) => file.error ?? file.reason},
    ],
    headerStyle(options),
  )
}

/** What a command prints at the end: the files that changed or failed, then the summary table. */
export function renderResult(
  title: string,
  files: readonly {key: string; action: string; reason: string; error?: string}[],
  rows: readonly SummaryRow[],
  options: RenderOptions,
): string {
  const listed = files.filter((file) => file.action !== 'unchanged' || file.error)
  return [...(listed.length > 0 ? [renderFiles(listed, options), ''] : []), renderSummary(title, rows, options)].join('\n')
}

/** The closing table rows of a fetch. */
export const fetchRows = (s: {added: number; replaced: number; deleted: number; unchanged: number; failed: number; bytes: number; requests: number}): SummaryRow[] => [
  ['added', s.added],
  ['replaced', s.replaced],
  ['deleted', s.deleted],
  ['unchanged', s.unchanged],
  ...(s.failed > 0 ? [['failed', s.failed] as SummaryRow] : []),
  ['bytes written', formatBytes(s.bytes)],
  ['upstream requests', s.requests],
]

/** The closing table rows of a sync. */
export const syncRows = (s: {uploaded: number; deleted: number; unchanged: number; kept: number; failed: number; bytes: number}): SummaryRow[] => [
  ['uploaded', s.uploaded],
  ['deleted', s.deleted],
  ['unchanged', s.unchanged],
  ...(s.kept > 0 ? [['kept (--no-delete)', s.kept] as SummaryRow] : []),
  ...(s.failed > 0 ? [['failed', s.failed] as SummaryRow] : []),
  ['bytes uploaded', formatBytes(s.bytes)],
]
