import {pipeline} from 'node:stream'
import {buffer} from 'node:stream/consumers'

import {ChecksumMismatchError, md5Hex, VerifyingStream} from '../stores/md5.js'
import {contentTypeFor} from '../stores/raw-layout.js'
import {type Store, StoreStateError, writeBatch} from '../stores/store.js'
import {mapLimit} from '../util/concurrency.js'
import {bytesOf, countActions, succeeded} from '../util/outcomes.js'
import {DeletionGuardError} from './deletion-guard.js'
import {type PlannedCopy, planSync, type SyncAction, type SyncPlanOptions} from './plan.js'

export {DeletionGuardError} from './deletion-guard.js'

export interface SyncOptions extends SyncPlanOptions {
  source: Store
  target: Store
  /** Plan only: list both sides, change nothing. */
  dryRun?: boolean
  /** Transfers in flight at once (default SYNC_CONCURRENCY). */
  concurrency?: number
  onProgress?: (event: SyncEvent) => void
}

/** As `aws s3 sync` (its max_concurrent_requests default): S3 latency, not bandwidth, bounds small files. */
export const SYNC_CONCURRENCY = 10

export interface CopyResult {
  key: string
  action: SyncAction
  reason: string
  /** Bytes uploaded. */
  bytes?: number
  /** Set when the action failed; the target's previous copy was kept. */
  error?: string
}

export type SyncEvent = {type: 'planned'; counts: Record<SyncAction, number>} | {type: 'file'; file: CopyResult}

export interface SyncSummary {
  from: string
  to: string
  dryRun: boolean
  uploaded: number
  deleted: number
  unchanged: number
  /** Target-only objects left in place (--no-delete). */
  kept: number
  failed: number
  /** Bytes uploaded. */
  bytes: number
  files: CopyResult[]
  errors: string[]
}

export class SyncError extends Error {
  constructor(readonly summary: SyncSummary) {
    super(summary.errors.join('; '))
    this.name = 'SyncError'
  }
}

/** Files up to this size are copied as one buffer, not a stream. */
const WHOLE_FILE_BYTES = 1024 * 1024

function verified(key: string, bytes: Buffer, md5: string | undefined): Buffer {
  const actual = md5Hex(bytes)
  if (md5 && actual !== md5) throw new ChecksumMismatchError(key, md5, actual)
  return bytes
}

async function applyOne(file: PlannedCopy, {source, target}: SyncOptions): Promise<CopyResult> {
  const {key, action, reason} = file
  try {
    if (action === 'delete') await target.delete(key)
    if (action !== 'upload') return {key, action, reason}
    // Source metadata travels, so a fetch against the target stays incremental.
    const {size, md5, metadata} = file.object
    const read = await source.read(key)
    // Bytes that differ from the MD5 the plan compared fail the write before it completes. A small
    // file is read whole and checked at once: streams per file dominated a sync of many small ones.
    const body = size <= WHOLE_FILE_BYTES ? verified(key, await buffer(read), md5) : md5 ? pipeline(read, new VerifyingStream(key, md5), () => {}) : read
    const written = await target.write(key, body, {expectedSize: size, metadata, contentType: contentTypeFor(key)})
    return {key, action, reason, bytes: written.size}
  } catch (error) {
    // A store error that says what the target holds is passed on as is; any other left it as it was.
    if (error instanceof StoreStateError) return {key, action, reason, error: error.message}
    const message = error instanceof ChecksumMismatchError ? error.message : `${key}: ${(error as Error).message}`
    return {key, action, reason, error: `${message}; the target's previous copy was kept`}
  }
}

/**
 * Make `target` hold what `source` holds: upload what is new or whose MD5 differs, delete what the
 * source lacks (unless `delete: false`), behind the same deletion guard as fetch.
 */
export async function syncStores(options: SyncOptions): Promise<SyncSummary> {
  const {source, target, dryRun = false} = options
  const emit = options.onProgress ?? (() => {})
  const [sourceObjects, targetObjects] = await Promise.all([source.list(), target.list()])
  const plan = planSync(sourceObjects, targetObjects, options)
  if (plan.refusal) throw new DeletionGuardError(plan.refusal)
  emit({type: 'planned', counts: countActions<SyncAction>(plan.files, ['upload', 'delete', 'unchanged', 'keep'])})
  const apply = (): Promise<CopyResult[]> =>
    mapLimit(plan.files, options.concurrency ?? SYNC_CONCURRENCY, async (file) => {
      const result = dryRun ? {key: file.key, action: file.action, reason: file.reason} : await applyOne(file, options)
      emit({type: 'file', file: result})
      return result
    })
  // A dry run saves nothing, not even what its listings learnt.
  const files = await (dryRun ? apply() : writeBatch(target, apply))
  const errors = files.flatMap((file) => (file.error ? [file.error] : []))
  const summary: SyncSummary = {
    from: source.location,
    to: target.location,
    dryRun,
    uploaded: succeeded(files, 'upload'),
    deleted: succeeded(files, 'delete'),
    unchanged: succeeded(files, 'unchanged'),
    kept: succeeded(files, 'keep'),
    failed: errors.length,
    bytes: bytesOf(files),
    files,
    errors,
  }
  if (errors.length > 0) throw new SyncError(summary)
  return summary
}
