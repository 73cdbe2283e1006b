import {describeError} from '../http/client.js'
import {ChecksumMismatchError} from '../stores/md5.js'
import {type Store, StoreStateError} from '../stores/store.js'
import {mapLimit} from '../util/concurrency.js'
import {bytesOf, succeeded} from '../util/outcomes.js'
import type {MirrorAction, MirrorPlan, PlannedFile} from './march.js'

/** What happened to one key: fetch and sync report it alike. */
export interface MirrorFile {
  key: string
  action: MirrorAction
  reason: string
  /** Bytes written to the target. */
  bytes?: number
  /** Set when the action failed; the target's previous copy was kept. */
  error?: string
}

/** A plan's outcome in numbers: files by what was done to them, those that failed, the bytes written. */
export interface MirrorCounts {
  added: number
  replaced: number
  deleted: number
  unchanged: number
  /** Target-only objects left in place. */
  kept: number
  /** Keys a filter left out, on either side. */
  excluded: number
  failed: number
  bytes: number
}

export const mirrorCounts = (files: readonly MirrorFile[]): MirrorCounts => ({
  added: succeeded(files, 'add'),
  replaced: succeeded(files, 'replace'),
  deleted: succeeded(files, 'delete'),
  unchanged: succeeded(files, 'unchanged'),
  kept: succeeded(files, 'keep'),
  excluded: succeeded(files, 'exclude'),
  failed: files.filter((file) => file.error).length,
  bytes: bytesOf(files),
})

export const resultOf = ({key, action, reason}: PlannedFile<unknown>, extra: Partial<MirrorFile> = {}): MirrorFile => ({key, action, reason, ...extra})

export interface ApplyOptions<S> {
  target: Store
  /** Copy one added or replaced item into the target (it may answer another action: a 304 is `unchanged`). */
  transfer: (file: PlannedFile<S>) => Promise<MirrorFile>
  /** Transfers in flight at once. */
  concurrency: number
  /** Report the plan as its outcome, carrying out nothing. */
  dryRun?: boolean
  /** Called as each file is done (or has failed). */
  onFile?: (file: MirrorFile) => void
}

/** A file whose action failed: a store error that says what the target holds is passed on as is; any other left it as it was. */
export function failedFile(file: PlannedFile<unknown>, error: unknown): MirrorFile {
  if (error instanceof StoreStateError) return resultOf(file, {error: error.message})
  const message = error instanceof ChecksumMismatchError ? error.message : `${file.key}: ${describeError(error)}`
  return resultOf(file, {error: `${message}; the previous copy was kept`})
}

async function applyOne<S>(file: PlannedFile<S>, {target, transfer}: ApplyOptions<S>): Promise<MirrorFile> {
  try {
    if (file.action === 'delete') await target.delete(file.key)
    if (file.action === 'add' || file.action === 'replace') return await transfer(file)
    return resultOf(file)
  } catch (error) {
    return failedFile(file, error)
  }
}

/** Carry out a plan, `concurrency` files at a time: a failed file keeps the target's previous copy and the others go on. */
export async function applyPlan<S>(plan: MirrorPlan<S>, options: ApplyOptions<S>): Promise<MirrorFile[]> {
  return mapLimit(plan.files, options.concurrency, async (file) => {
    const result = options.dryRun ? resultOf(file) : await applyOne(file, options)
    options.onFile?.(result)
    return result
  })
}
