import {pipeline} from 'node:stream'

import {applyPlan, failedFile, type MirrorCounts, type MirrorFile, mirrorCounts, resultOf} from '../mirror/apply.js'
import {GuardError} from '../mirror/guard.js'
import {checkMirrorLocations} from '../mirror/locations.js'
import {type DeleteMode, type MirrorAction, type PlannedFile} from '../mirror/march.js'
import {WRITER_META} from '../mirror/metadata.js'
import {ChecksumMismatchError, md5Hex, VerifyingStream} from '../stores/md5.js'
import {contentTypeFor} from '../stores/raw-layout.js'
import {FolderStore} from '../stores/folder.js'
import {type Body, readWhole, type Store, type StoredObject, type WriteOptions, writeBatch} from '../stores/store.js'
import {countActions} from '../util/outcomes.js'
import {planSync, type SyncPlanOptions} from './plan.js'
import {DataquestError} from '../util/errors.js'

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

/** A sync reports an added or replaced object alike, as copied (`upload`). */
export type SyncAction = Exclude<MirrorAction, 'add' | 'replace'> | 'upload'
const SYNC_ACTIONS: readonly SyncAction[] = ['upload', 'delete', 'unchanged', 'keep', 'exclude']

export type CopyResult = Omit<MirrorFile, 'action'> & {action: SyncAction}

export type SyncEvent = {type: 'planned'; counts: Record<SyncAction, number>} | {type: 'file'; file: CopyResult}

export interface SyncSummary extends Omit<MirrorCounts, 'added' | 'replaced'> {
  from: string
  to: string
  dryRun: boolean
  /** Which target objects the source lacks were deleted: none (`kept` counts them), dataquest's own (`kept` counts the others), or all. */
  deletes: DeleteMode
  /** Objects copied (new or changed). */
  uploaded: number
  files: CopyResult[]
  errors: string[]
}

export class SyncError extends DataquestError {
  constructor(readonly summary: SyncSummary) {
    super('partial', summary.errors.join('; '))
    this.name = 'SyncError'
  }
}

const asCopy = (file: {action: MirrorAction}): SyncAction => (file.action === 'add' || file.action === 'replace' ? 'upload' : file.action)

/**
 * Files up to this size are copied as one buffer, not a stream: a stream per file was most of the
 * time of a sync of 10,000 small files (npm run bench:sync).
 */
const WHOLE_BYTES = 1024 * 1024

/** The source's bytes as a body to write: checked against the MD5 the plan compared, before the write completes. */
async function sourceBody(source: Store, key: string, size: number, md5: string | undefined): Promise<Body> {
  if (size > WHOLE_BYTES) {
    const read = await source.read(key)
    return md5 ? pipeline(read, new VerifyingStream(key, md5), () => {}) : read
  }
  const bytes = await readWhole(await source.reader(key), size)
  if (md5 && md5Hex(bytes) !== md5) throw new ChecksumMismatchError(key, md5, md5Hex(bytes))
  return bytes
}

/** How a copy is written: the source's size, MD5 (when known, checked against the bytes read, so not hashed again) and metadata, and dataquest's mark. */
function copyOptions(file: PlannedFile<StoredObject>): WriteOptions {
  const {size, md5, metadata} = file.source!
  return {expectedSize: size, md5, metadata: {...metadata, [WRITER_META.key]: WRITER_META.value}, contentType: contentTypeFor(file.key)}
}

/** sync's transfer: the source's bytes, checked against the MD5 the plan compared, with its metadata and dataquest's mark. */
async function copy(file: PlannedFile<StoredObject>, {source, target}: SyncOptions): Promise<MirrorFile> {
  const {size, md5} = file.source!
  const body = await sourceBody(source, file.key, size, md5)
  const written = await target.write(file.key, body, copyOptions(file))
  return resultOf(file, {bytes: written.size})
}

/** Folder → folder: small files copied this many at a time, each batch at once (FolderStore.copyFrom). */
const FOLDER_BATCH = 256

/** The small files a plan adds or replaces, copied folder to folder in batches; the outcome of each by key. */
async function copyBetweenFolders(files: readonly PlannedFile<StoredObject>[], source: FolderStore, target: FolderStore, onFile: (file: MirrorFile) => void): Promise<Map<string, MirrorFile>> {
  const small = files.filter((file) => (file.action === 'add' || file.action === 'replace') && file.source!.size <= WHOLE_BYTES)
  const done = new Map<string, MirrorFile>()
  for (let at = 0; at < small.length; at += FOLDER_BATCH) {
    const batch = small.slice(at, at + FOLDER_BATCH)
    const outcomes = await target.copyFrom(
      source,
      batch.map((file) => ({key: file.key, size: file.source!.size, md5: file.source!.md5, options: copyOptions(file)})),
    )
    batch.forEach((file, i) => {
      const outcome = outcomes[i]!
      const result = outcome instanceof Error ? failedFile(file, outcome) : resultOf(file, {bytes: outcome.size})
      done.set(file.key, result)
      onFile(result)
    })
  }
  return done
}

/**
 * Make `target` hold what `source` holds: copy what is new or whose MD5 differs, delete what the
 * source lacks and dataquest wrote (`deletes`), behind the same guard as fetch. Refuses (LocationError)
 * a folder source that does not exist and a source and target inside one another.
 */
export async function syncStores(options: SyncOptions): Promise<SyncSummary> {
  const {source, target, dryRun = false, deletes = 'own'} = options
  const emit = options.onProgress ?? (() => {})
  await checkMirrorLocations(source.location, target.location)
  const targetListing = target.list()
  const targetKeys = targetListing.then((objects) => new Set(objects.map((object) => object.key))).catch(() => new Set<string>())
  // Only an object on both sides is compared by MD5: the source's others are read once, when copied.
  const [sourceObjects, targetObjects] = await Promise.all([source.list('', {hash: async (key) => (await targetKeys).has(key)}), targetListing])
  const plan = planSync(sourceObjects, targetObjects, {...options, deletes})
  if (plan.refusal) throw new GuardError(plan.refusal.reason, plan.refusal)
  emit({type: 'planned', counts: countActions(plan.files.map((file) => ({action: asCopy(file)})), SYNC_ACTIONS)})
  const onFile = (file: MirrorFile): void => emit({type: 'file', file: {...file, action: asCopy(file)}})
  const apply = async (): Promise<MirrorFile[]> => {
    const direct = !dryRun && source instanceof FolderStore && target instanceof FolderStore ? await copyBetweenFolders(plan.files, source, target, onFile) : new Map<string, MirrorFile>()
    const rest = await applyPlan(
      {...plan, files: plan.files.filter((file) => !direct.has(file.key))},
      {target, dryRun, concurrency: options.concurrency ?? SYNC_CONCURRENCY, transfer: (file) => copy(file, options), onFile},
    )
    const restByKey = new Map(rest.map((file) => [file.key, file]))
    return plan.files.map((file) => direct.get(file.key) ?? restByKey.get(file.key)!)
  }
  // A dry run saves nothing, not even what its listings learnt.
  const files = await (dryRun ? apply() : writeBatch(target, apply))
  const {added, replaced, ...counts} = mirrorCounts(files)
  const errors = files.flatMap((file) => (file.error ? [file.error] : []))
  const summary: SyncSummary = {
    from: source.location,
    to: target.location,
    dryRun,
    deletes,
    uploaded: added + replaced,
    ...counts,
    files: files.map((file) => ({...file, action: asCopy(file)})),
    errors,
  }
  if (errors.length > 0) throw new SyncError(summary)
  return summary
}
