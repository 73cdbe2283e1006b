import {MD5_METADATA_KEY} from '../stores/s3.js'
import {type Store, StoreStateError} from '../stores/store.js'
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
  /** Transfers in flight at once. */
  concurrency?: number
  onProgress?: (event: SyncEvent) => void
}

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

async function applyOne(file: PlannedCopy, {source, target}: SyncOptions): Promise<CopyResult> {
  const {key, action, reason} = file
  try {
    if (action === 'delete') await target.delete(key)
    if (action !== 'upload') return {key, action, reason}
    // Source metadata travels (so a fetch against the target stays incremental); the MD5 key is the
    // store's own bookkeeping, which the target sets again when it needs it.
    const {[MD5_METADATA_KEY]: _md5, ...metadata} = file.object.metadata
    const written = await target.write(key, await source.read(key), {expectedSize: file.object.size, metadata})
    return {key, action, reason, bytes: written.size}
  } catch (error) {
    // A store error that says what the target holds is passed on as is; any other left it as it was.
    const message = error instanceof StoreStateError ? error.message : `${key}: ${(error as Error).message}; the target's previous copy was kept`
    return {key, action, reason, error: message}
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
  const files = await mapLimit(plan.files, options.concurrency ?? 4, async (file) => {
    const result = dryRun ? {key: file.key, action: file.action, reason: file.reason} : await applyOne(file, options)
    emit({type: 'file', file: result})
    return result
  })
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
