import {Chalk} from 'chalk'

import type {FetchCounts, FetchSummary} from '../fetch/index.js'
import {isS3Location} from '../stores/s3-location.js'
import {formatNumber} from '../util/number-format.js'
import type {SyncSummary} from '../sync/index.js'

import {renderTable} from './table.js'

export interface RenderOptions {
  /** Decorate headers (see useColor in progress.ts). */
  color: boolean
}

/** `1,504,795` */
export const formatCount = (n: number): string => formatNumber(n, 3)

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

type FileRow = {key: string; action: string; reason: string; error?: string}

/** How a result's actions read: a dry run says what it would do; `verbs` renames actions (a sync's `upload` read as `download`). */
export interface ActionWording {
  dryRun?: boolean
  verbs?: Readonly<Record<string, string>>
}

const actionText = (action: string, {dryRun, verbs}: ActionWording): string => {
  const verb = verbs?.[action] ?? action
  return dryRun && action !== 'unchanged' ? `would ${verb}` : verb
}

/** A per-file table (a plan, or what changed): action, key, reason or error. */
export function renderFiles(files: readonly FileRow[], options: RenderOptions & ActionWording): string {
  return renderTable(
    files,
    [
      {header: 'action', value: (file) => `${actionText(file.action, options)}${file.error ? ' FAILED' : ''}`},
      {header: 'file', value: (file) => file.key},
      {header: 'why', value: (file) => file.error ?? file.reason},
    ],
    headerStyle(options),
  )
}

/** What a command prints at the end: the files that changed or failed, then the summary table. */
export function renderResult(title: string, files: readonly FileRow[], rows: readonly SummaryRow[], options: RenderOptions & ActionWording): string {
  const listed = files.filter((file) => file.action !== 'unchanged' || file.error)
  return [...(listed.length > 0 ? [renderFiles(listed, options), ''] : []), renderSummary(title, rows, options)].join('\n')
}

/** Keys a filter left out, when there are any. */
const excludedRow = ({excluded = 0}: {excluded?: number}): SummaryRow[] => (excluded > 0 ? [['excluded', excluded]] : [])

type FetchTotals = Omit<FetchCounts, 'excluded'> & Partial<Pick<FetchCounts, 'excluded'>> & Pick<FetchSummary, 'dryRun' | 'requests'>

/** The closing table rows of a fetch; a dry run's say what it would do, and it writes no bytes. */
export const fetchRows = (s: FetchTotals): SummaryRow[] => [
  [s.dryRun ? 'would add' : 'added', s.added],
  [s.dryRun ? 'would replace' : 'replaced', s.replaced],
  [s.dryRun ? 'would delete' : 'deleted', s.deleted],
  ['unchanged', s.unchanged],
  ...excludedRow(s),
  ...(s.failed > 0 ? [['failed', s.failed] as SummaryRow] : []),
  ...(s.dryRun ? [] : [['bytes written', formatBytes(s.bytes)] as SummaryRow]),
  ['upstream requests', s.requests],
]

/** The one-line outcome of a fetch (progress and task lists). */
export const fetchLine = (s: FetchTotals): string =>
  s.dryRun
    ? `would add ${s.added}, replace ${s.replaced}, delete ${s.deleted}; ${s.unchanged} unchanged`
    : `${s.added} added, ${s.replaced} replaced, ${s.deleted} deleted, ${s.unchanged} unchanged, ${formatBytes(s.bytes)}`

/** A fetch's files and summary table, under a title that says whether it was a dry run. */
export const renderFetchResult = (summary: FetchTotals & {files: readonly FileRow[]}, options: RenderOptions): string =>
  renderResult(summary.dryRun ? 'fetch plan (dry run)' : 'fetch', summary.files, fetchRows(summary), {...options, dryRun: summary.dryRun})

/**
 * Which way a sync moves files, from the two locations: S3 → folder downloads, folder → S3
 * uploads, anything else copies.
 */
export type SyncDirection = 'upload' | 'download' | 'copy'

export function syncDirection(from: string, to: string): SyncDirection {
  if (isS3Location(from) === isS3Location(to)) return 'copy'
  return isS3Location(to) ? 'upload' : 'download'
}

const PAST: Record<SyncDirection, string> = {upload: 'uploaded', download: 'downloaded', copy: 'copied'}

type SyncCounts = Pick<SyncSummary, 'dryRun' | 'uploaded' | 'deleted' | 'unchanged' | 'kept' | 'failed' | 'bytes'> &
  Partial<Pick<SyncSummary, 'excluded' | 'deletes'>> & {direction: SyncDirection}

/** Why a sync kept the target objects the source lacks: --no-delete kept them all, else they are not dataquest's. */
const keptText = (s: SyncCounts): string => (s.deletes === 'own' ? 'not written by dataquest' : '(--no-delete)')

/** The closing table rows of a sync, in the words of its direction. */
export const syncRows = (s: SyncCounts): SummaryRow[] => [
  [s.dryRun ? `would ${s.direction}` : PAST[s.direction], s.uploaded],
  [s.dryRun ? 'would delete' : 'deleted', s.deleted],
  ['unchanged', s.unchanged],
  ...(s.kept > 0 ? [[`kept ${keptText(s)}`, s.kept] as SummaryRow] : []),
  ...excludedRow(s),
  ...(s.failed > 0 ? [['failed', s.failed] as SummaryRow] : []),
  ...(s.dryRun ? [] : [[`bytes ${PAST[s.direction]}`, formatBytes(s.bytes)] as SummaryRow]),
]

/** The one-line outcome of a sync. */
export const syncLine = (s: SyncCounts): string =>
  (s.dryRun
    ? `would ${s.direction} ${s.uploaded}, delete ${s.deleted}; ${s.unchanged} unchanged`
    : `${s.uploaded} ${PAST[s.direction]}, ${s.deleted} deleted, ${s.unchanged} unchanged, ${formatBytes(s.bytes)}`) +
  (s.kept > 0 && s.deletes === 'own' ? `; kept ${s.kept} ${keptText(s)}` : '')

/** A sync's files and summary table; its `upload` actions are worded in its direction. */
export const renderSyncResult = (summary: SyncCounts & {files: readonly FileRow[]}, options: RenderOptions): string =>
  renderResult(summary.dryRun ? 'sync plan (dry run)' : 'sync', summary.files, syncRows(summary), {
    ...options,
    dryRun: summary.dryRun,
    verbs: {upload: summary.direction},
  })
