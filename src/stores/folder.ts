import {appendFileSync, closeSync, createReadStream, createWriteStream, fstatSync, lstatSync, mkdirSync, openSync, read, readdirSync, readSync, renameSync, rmSync, statSync, writeSync} from 'node:fs'
import {link, mkdir, readFile, realpath, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {promisify} from 'node:util'
import {createHash, randomBytes} from 'node:crypto'

import {isRecord} from '../util/is-record.js'
import {mapLimit} from '../util/concurrency.js'
import {plural} from '../util/plural.js'
import {onInterrupt} from './cleanup.js'
import {acquireLock} from './lock.js'
import {ChecksumMismatchError, HashingStream, md5Hex} from './md5.js'
import {
  assertSafeKey,
  type ByteReader,
  type Body,
  type CopyRequest,
  isInternalName,
  type ListOptions,
  LOCK_NAME,
  MANIFEST_NAME,
  NotFoundError,
  SizeMismatchError,
  type Store,
  type StoredObject,
  StoreWriteError,
  TEMP_NAME,
  UnrecordedWriteError,
  type WriteLock,
  type WriteOptions,
} from './store.js'

export {LOCK_NAME, MANIFEST_NAME} from './store.js'

/**
 * Each write's entry, appended as one JSON line `[key, entry | null]` as it completes, and folded
 * into the manifest by `flush` (or once it outgrows the manifest): a write costs one append, not a
 * rewrite of the whole manifest, and a killed writer's journal is replayed by the next reader.
 */
export const JOURNAL_NAME = `${MANIFEST_NAME}.journal`

/** What the file was when it was hashed: a file whose (size, mtime, inode, ctime) all still match is not hashed again. */
interface FileStamp {
  size: number
  mtimeMs: number
  /** Absent in manifests written before they were kept. */
  ino?: number
  ctimeMs?: number
}

interface ManifestEntry extends FileStamp {
  md5: string
  metadata: Record<string, string>
}

type Manifest = Record<string, ManifestEntry>

const stampOf = (info: FileStamp): FileStamp => ({size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, ctimeMs: info.ctimeMs})
/** Whether the file is as it was stamped. ctime cannot be set by hand: a change that kept the mtime still moves it. */
const sameStamp = (stamp: FileStamp, info: FileStamp): boolean =>
  /* c8 ignore next -- the fallbacks serve entries of manifests written before ino and ctime were recorded */
  stamp.size === info.size && stamp.mtimeMs === info.mtimeMs && (stamp.ino ?? info.ino) === info.ino && (stamp.ctimeMs ?? info.ctimeMs) === info.ctimeMs

/**
 * Temp names end in this process's random prefix and a count (TEMP_NAME's 12 hex digits): unique
 * within the process, and a writer holds its store's lock. A random draw per file cost a system
 * call each (OpenSSL checks the process id on every draw): 10,000 of them in a sync of small files.
 */
const TEMP_PREFIX = randomBytes(3).toString('hex')
let tempCount = 0
const tempName = (target: string): string =>
  path.join(path.dirname(target), `.${path.basename(target)}.${TEMP_PREFIX}${(tempCount++ % 0x1000000).toString(16).padStart(6, '0')}.tmp`)

/** Reads below this size are synchronous calls (see FolderStore.reader). */
const SYNC_READ_BYTES = 256 * 1024

const readInPool = promisify(read)

/** A new file open for writing (its descriptor), its folder created when missing. */
function openCreating(file: string): number {
  try {
    return openSync(file, 'w')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    mkdirSync(path.dirname(file), {recursive: true})
    return openSync(file, 'w')
  }
}

/**
 * Write bytes to a new file, creating its folder when missing. Synchronous calls: a small file
 * costs a few system calls instead of a thread-pool round trip each, which dominated a sync of
 * 10,000 small files (npm run bench:sync).
 */
function writeBytes(file: string, bytes: Uint8Array, md5?: string): {md5: string; size: number} {
  const fd = openCreating(file)
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at)
  } finally {
    closeSync(fd)
  }
  return {md5: md5 ?? md5Hex(bytes), size: bytes.length}
}

async function writeStream(file: string, body: Readable): Promise<{md5: string; size: number}> {
  const hashing = new HashingStream()
  await pipeline(body, hashing, createWriteStream(file, {fd: openCreating(file)}))
  return {md5: hashing.digest(), size: hashing.bytes}
}

/** A file written under a temp name beside its target, not yet visible. */
interface Staged {
  target: string
  temp: string
  md5: string
  size: number
  /** Forget the interrupt cleanup (once the temp is renamed or removed). */
  unregister: () => void
}

/** What stage checks and knows: the size the body must have, its MD5 if known, its key (for messages). */
type StageOptions = Pick<WriteOptions, 'expectedSize' | 'md5'> & {key?: string}

/**
 * Write `body` to a temp file beside `target`, with its MD5 and size; on failure the temp file is
 * gone. Bytes in hand (reports, a sync's small copies, the manifest) are written at once, with no
 * promise to wait for; a stream is piped.
 */
function stage(target: string, body: Uint8Array | string, options?: StageOptions): Staged
function stage(target: string, body: Body, options?: StageOptions): Staged | Promise<Staged>
function stage(target: string, body: Body, {expectedSize, md5, key = path.basename(target)}: StageOptions = {}): Staged | Promise<Staged> {
  const temp = tempName(target)
  // Registered before the file exists, removed by name: an interrupt at any point leaves nothing.
  const unregister = onInterrupt(() => rmSync(temp, {force: true}))
  const staged = ({md5, size}: {md5: string; size: number}): Staged => {
    if (expectedSize !== undefined && size !== expectedSize) throw new SizeMismatchError(key, expectedSize, size)
    return {target, temp, md5, size, unregister}
  }
  const failed = (error: unknown): never => {
    rmSync(temp, {force: true})
    unregister()
    throw error
  }
  try {
    if (body instanceof Readable) return writeStream(temp, body).then(staged).catch(failed)
    return staged(writeBytes(temp, typeof body === 'string' ? Buffer.from(body) : body, md5))
  } catch (error) {
    return failed(error)
  }
}

/** Make a staged file visible (rename); on failure the temp file is gone. */
function commit(staged: Staged): {md5: string; size: number} {
  try {
    renameSync(staged.temp, staged.target)
  } catch (error) {
    discard(staged)
    throw error
  }
  staged.unregister()
  return {md5: staged.md5, size: staged.size}
}

/** A failed write's system error (disk full, read-only, permissions) named with the file: Node's write errors name none. */
const namedWriteError = (key: string, file: string, error: NodeJS.ErrnoException): Error =>
  error.code !== undefined && error.syscall !== undefined ? new StoreWriteError(key, file, error) : error

/** Write a file atomically: a temp file in the same folder, then rename. */
async function writeAtomically(target: string, body: Body, options: StageOptions): Promise<{md5: string; size: number}> {
  return commit(await stage(target, body, options))
}

function discard(staged: Staged): void {
  rmSync(staged.temp, {force: true})
  staged.unregister()
}

/**
 * Make staged files visible together: each previous file is kept under a temp name (a hard link:
 * no copy, no space) until every rename is done, so a failing rename puts back the ones before it.
 * Only a crash between the first and the last rename leaves a mixed set.
 */
async function commitAll(staged: readonly Staged[]): Promise<void> {
  const done: {staged: Staged; previous?: string}[] = []
  try {
    for (const file of staged) {
      const previous = tempName(file.target)
      const kept = await link(file.target, previous).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false
          throw error
        },
      )
      const entry = {staged: file, previous: kept ? previous : undefined}
      done.push(entry)
      await rename(file.temp, file.target)
    }
  } catch (error) {
    // Newest first; a rollback step that fails (a disk gone) throws its own error.
    for (const {staged: file, previous} of done.reverse()) {
      if (previous) await rename(previous, file.target)
      else await rm(file.target, {force: true})
    }
    throw error
  } finally {
    await Promise.all(done.map(({previous}) => (previous ? rm(previous, {force: true}) : undefined)))
    staged.forEach(discard)
  }
}

/** Remove every temp file of ours under `root` (synchronous: it also runs from the interrupt handler). */
function sweepTemps(root: string): {files: number; bytes: number} {
  const swept = {files: 0, bytes: 0}
  for (const entry of readdirSync(root, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile() || !TEMP_NAME.test(entry.name)) continue
    const file = path.join(entry.parentPath, entry.name)
    swept.bytes += statSync(file).size
    rmSync(file, {force: true})
    swept.files++
  }
  return swept
}

/** Why `value` is not a manifest, or undefined when it is one. */
function manifestProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `it holds ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not an object`
  for (const [key, entry] of Object.entries(value)) {
    if (!isEntry(entry)) return `its entry for ${JSON.stringify(key)} is not {size, mtimeMs, md5, metadata}`
  }
  return undefined
}

const isOptionalNumber = (value: unknown): boolean => value === undefined || typeof value === 'number'

function isEntry(entry: unknown): entry is ManifestEntry {
  return (
    isRecord(entry) &&
    typeof entry.size === 'number' &&
    typeof entry.mtimeMs === 'number' &&
    isOptionalNumber(entry.ino) &&
    isOptionalNumber(entry.ctimeMs) &&
    typeof entry.md5 === 'string' &&
    isRecord(entry.metadata) &&
    Object.values(entry.metadata).every((v) => typeof v === 'string')
  )
}

/** Apply the journal's complete, valid lines to `manifest`; a line cut short by a crash is ignored. Returns how many applied. */
function replayJournal(manifest: Manifest, text: string): number {
  let applied = 0
  for (const line of text.split('\n')) {
    let change: unknown
    try {
      change = JSON.parse(line)
    } catch {
      continue
    }
    /* c8 ignore next -- a line of JSON in another shape: only a hand-edited journal has one (unparsable lines are tested) */
    if (!Array.isArray(change) || typeof change[0] !== 'string' || !(change[1] === null || isEntry(change[1]))) continue
    if (change[1] === null) delete manifest[change[0]]
    else manifest[change[0]] = change[1]
    applied++
  }
  return applied
}

/**
 * Hashes of files no manifest vouches for (a folder made by hand, `aws s3 sync`'s kind), kept
 * outside the folder (which is only read, perhaps by someone else, perhaps read-only) in a file
 * of its own under the cache folder the caller gives.
 */
class HashCache {
  private entries: Promise<Record<string, FileStamp & {md5: string}>> | undefined
  private dirty = false

  constructor(private readonly file: string) {}

  private load(): Promise<Record<string, FileStamp & {md5: string}>> {
    this.entries ??= readFile(this.file, 'utf8')
      .then((text) => {
        const parsed: unknown = JSON.parse(text)
        /* c8 ignore next -- a cache file of JSON in another shape: only a hand-edited one (unparsable ones are tested) */
        return isRecord(parsed) && isRecord(parsed.entries) ? (parsed.entries as Record<string, FileStamp & {md5: string}>) : {}
      })
      // None yet, or unreadable: it is only a cache.
      .catch(() => ({}))
    return this.entries
  }

  async get(key: string, info: FileStamp): Promise<string | undefined> {
    const entry = (await this.load())[key]
    return entry && sameStamp(entry, info) && typeof entry.md5 === 'string' ? entry.md5 : undefined
  }

  async set(key: string, info: FileStamp, md5: string): Promise<void> {
    // Racy-git: a file changed again within the clock's resolution of this hash would look unchanged.
    if (Date.now() - info.mtimeMs < RACY_MS) return
    ;(await this.load())[key] = {...stampOf(info), md5}
    this.dirty = true
  }

  /**
   * Save it, keeping only `keys` when the whole folder was listed. Best effort: a cache that cannot
   * be saved costs hashing next time. A listing that hashed nothing leaves it unread (10,000 entries
   * parsed for nothing): forgotten files are dropped by the next listing that hashes.
   */
  async save(root: string, keys: readonly string[] | undefined): Promise<void> {
    if (this.entries === undefined) return
    const entries = await this.entries
    if (keys) {
      const kept = new Set(keys)
      for (const key of Object.keys(entries)) {
        if (!kept.has(key)) {
          delete entries[key]
          this.dirty = true
        }
      }
    }
    if (!this.dirty) return
    this.dirty = false
    try {
      commit(stage(this.file, JSON.stringify({version: 1, root, entries})))
    } catch {
      // Best effort, as above.
    }
  }
}

/** Journal lines to be appended together, and the promise their writes wait on. */
class JournalBatch {
  readonly lines: string[] = []
  readonly done: Promise<void>
  settle!: (error?: unknown) => void

  constructor(readonly manifest: Manifest) {
    this.done = new Promise((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error))
    })
  }
}

/** A file modified this recently is hashed but not cached (git's "racy clean" rule). */
const RACY_MS = 2000

async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

/** Files hashed or stat'ed at once while listing: enough to keep the disk busy, not 10,000 open files. */
const LIST_CONCURRENCY = 16

export interface FolderStoreOptions {
  /** Something the caller should know that does not stop the work (a rebuilt manifest, swept leftovers, a stale lock). */
  onWarning?: (message: string) => void
  /** A folder where the hashes of files no manifest vouches for are cached (see HashCache); none: they are hashed on every listing. */
  hashCache?: string
}

export class FolderStore implements Store {
  readonly location: string
  private manifest: Promise<Manifest> | undefined
  /**
   * Journal lines recorded in this turn of the event loop, appended together at its end (a group
   * commit). The appends and manifest saves are synchronous calls, so none can interleave.
   */
  private batch: JournalBatch | undefined
  /** Lines in the journal file (replayed or appended) not yet folded into the manifest. */
  private journalLines = 0
  /** Where a damaged manifest goes before the rebuilt one replaces it. */
  private damagedAside: string | undefined
  /** Holding the lock: a damaged manifest is repaired on sight, not only worked around. */
  private writer = false
  /** Writes and deletes completed (for the interrupt message). */
  private changes = 0
  private readonly warn: (message: string) => void
  private readonly hashCache: HashCache | undefined
  /** The root, normalised, with a separator after it (filePath). */
  private rootPrefix: string | undefined
  /** Folders checked to lie inside the root (a symbolic link may lead elsewhere). */
  private readonly checkedFolders = new Map<string, Promise<void>>()
  /** Keys in the manifest: the journal is folded in once it holds more lines than this (Object.keys per append was quadratic). */
  private entries = 0

  constructor(readonly root: string, options: FolderStoreOptions = {}) {
    this.location = root
    this.warn = options.onWarning ?? (() => {})
    if (options.hashCache) {
      this.hashCache = new HashCache(path.join(options.hashCache, `${createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 32)}.json`))
    }
  }

  private filePath(key: string): string {
    assertSafeKey(key)
    // What path.join gives for a safe key (no '.', '..' or empty segment to normalise), without a join per file.
    this.rootPrefix ??= path.join(this.root, path.sep)
    return this.rootPrefix + key.replaceAll('/', path.sep)
  }

  private get manifestFile(): string {
    return path.join(this.root, MANIFEST_NAME)
  }

  private get journalFile(): string {
    return path.join(this.root, JOURNAL_NAME)
  }

  /** The manifest, read once (concurrent callers share the read), with its journal replayed. */
  private loadManifest(): Promise<Manifest> {
    this.manifest ??= (async () => {
      const manifest = await this.readManifest()
      const journal = await readFile(this.journalFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return ''
        throw error
      })
      this.journalLines = replayJournal(manifest, journal)
      this.entries = Object.keys(manifest).length
      // The lock holder repairs a damaged manifest on sight (after the journal, whose metadata it keeps).
      if (this.damagedAside && this.writer) this.saveManifest(manifest)
      return manifest
    })().catch((error: unknown) => {
      this.manifest = undefined
      throw error
    })
    return this.manifest
  }

  private async readManifest(): Promise<Manifest> {
    let text: string
    try {
      text = await readFile(this.manifestFile, 'utf8')
    } catch (error) {
      // None yet: a new store, or one written by hand (its files are hashed when listed).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw error
    }
    let problem: string | undefined
    try {
      const parsed: unknown = JSON.parse(text)
      problem = manifestProblem(parsed)
      if (problem === undefined) return parsed as Manifest
    } catch (error) {
      problem = `not JSON: ${(error as Error).message}`
    }
    // Damaged (a crash of another tool, an edit by hand): all it held but the metadata can be had
    // again by hashing the files. It is set aside for a human to look at, never trusted.
    const manifest = await this.rebuild()
    const aside = `${MANIFEST_NAME}.damaged-${new Date().toISOString().replaceAll(':', '')}`
    this.damagedAside = aside
    const what = `${this.manifestFile} is damaged (${problem})`
    const files = plural(Object.keys(manifest).length, 'file')
    if (this.writer) {
      this.warn(`${what}: set it aside as ${aside} and rebuilt it from the ${files} here (hashed); the metadata kept with them is lost`)
    } else {
      this.warn(`${what}: ignored it, hashing the ${files} here instead (their kept metadata is lost); the next command that writes this store rebuilds it`)
    }
    return manifest
  }

  /** A manifest of the files as they are: hashed, without metadata. */
  private async rebuild(): Promise<Manifest> {
    const keys = this.keys()
    const entries = await mapLimit(keys, LIST_CONCURRENCY, async (key): Promise<[string, ManifestEntry]> => {
      const file = this.filePath(key)
      const info = await stat(file)
      return [key, {...stampOf(info), md5: await md5OfFile(file), metadata: {}}]
    })
    return Object.fromEntries(entries)
  }

  /** Write the manifest in key order, first setting a damaged one aside; its journal is then folded in. */
  private saveManifest(manifest: Manifest): void {
    if (this.damagedAside) {
      renameSync(this.manifestFile, path.join(this.root, this.damagedAside))
      this.damagedAside = undefined
    }
    const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => (a < b ? -1 : 1)))
    commit(stage(this.manifestFile, `${JSON.stringify(sorted, null, 1)}\n`))
    // A crash here replays lines the manifest already holds: entries are whole states, and one
    // overtaken by a later write no longer matches its file, so it costs a hash, never a wrong MD5.
    rmSync(this.journalFile, {force: true})
    this.journalLines = 0
  }

  /**
   * Record `key`'s entry (undefined: gone): in memory at once, then in the journal, appended
   * together with the other writes that finished meanwhile. Folded into the manifest once the
   * journal outgrows it, so a long run's journal stays as small as the manifest.
   */
  private async record(key: string, entry: ManifestEntry | undefined): Promise<void> {
    return this.recordIn(await this.loadManifest(), key, entry)
  }

  /** As record, in the manifest in hand: the entry at once, the promise of its journal append. */
  private recordIn(manifest: Manifest, key: string, entry: ManifestEntry | undefined): Promise<void> {
    this.entries += (entry ? 1 : 0) - (key in manifest ? 1 : 0)
    if (entry) manifest[key] = entry
    else delete manifest[key]
    if (!this.batch) {
      const batch = new JournalBatch(manifest)
      this.batch = batch
      // After the other writes of this turn (an append through the thread pool cost each of them a wait).
      setImmediate(() => this.append(batch))
    }
    this.batch.lines.push(`${JSON.stringify([key, entry ?? null])}\n`)
    return this.batch.done
  }

  /** Append `batch` to the journal (once), and fold the journal in once it outgrows the manifest. */
  private append(batch: JournalBatch): void {
    if (this.batch !== batch) return
    this.batch = undefined
    try {
      appendFileSync(this.journalFile, batch.lines.join(''))
      this.journalLines += batch.lines.length
      if (this.journalLines > Math.max(1000, this.entries)) this.saveManifest(batch.manifest)
      batch.settle()
    } catch (error) {
      batch.settle(error)
    }
  }

  /** Fold the journal into the manifest (and save a rebuilt one). */
  async flush(): Promise<void> {
    if (this.manifest === undefined) return
    const manifest = await this.manifest
    // Its writes learn of a failed append themselves.
    if (this.batch) this.append(this.batch)
    if (this.journalLines > 0 || this.damagedAside) this.saveManifest(manifest)
  }

  private async describe(key: string, file: string, hashUnknown: ListOptions['hash'] | boolean = true): Promise<StoredObject | undefined> {
    let info
    try {
      info = statSync(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    if (!info.isFile()) return undefined
    const entry = (await this.loadManifest())[key]
    if (entry && sameStamp(entry, info)) {
      return {key, size: info.size, md5: entry.md5, metadata: {...entry.metadata}}
    }
    if (!(typeof hashUnknown === 'function' ? await hashUnknown(key) : hashUnknown)) return {key, size: info.size, metadata: {}}
    const cached = entry ? undefined : await this.hashCache?.get(key, info)
    const md5 = cached ?? (await md5OfFile(file))
    if (entry?.md5 === md5) {
      // The same bytes (touched, copied back, chmod'ed): its metadata still holds; remember the new stamp.
      const refreshed = {...entry, ...stampOf(info)}
      if (this.writer) await this.record(key, refreshed)
      else (await this.loadManifest())[key] = refreshed
      return {key, size: info.size, md5, metadata: {...entry.metadata}}
    }
    // Changed behind our back, damaged in place, or never written by us: trust none of its old metadata.
    if (!entry && cached === undefined) await this.hashCache?.set(key, info, md5)
    return {key, size: info.size, md5, metadata: {}}
  }

  /**
   * Every object's key, sorted: the files under the root but our bookkeeping. Synchronous: the
   * thread pool's recursive readdir made a round trip per folder, this thread idle meanwhile.
   */
  private keys(prefix = ''): string[] {
    let entries
    try {
      entries = readdirSync(this.root, {recursive: true, withFileTypes: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    // Each folder's part of the key worked out once, not per file.
    const folders = new Map<string, string>()
    const folderKey = (folder: string): string => {
      let key = folders.get(folder)
      if (key === undefined) {
        const relative = path.relative(this.root, folder)
        key = relative === '' ? '' : `${relative.split(path.sep).join('/')}/`
        folders.set(folder, key)
      }
      return key
    }
    return entries
      .filter((entry) => entry.isFile() && !isInternalName(entry.name))
      .map((entry) => folderKey(entry.parentPath) + entry.name)
      .filter((key) => key.startsWith(prefix))
      .sort()
  }

  async list(prefix = '', options: ListOptions = {}): Promise<StoredObject[]> {
    const keys = this.keys(prefix)
    const objects = await mapLimit(keys, LIST_CONCURRENCY, (key) => this.describe(key, this.filePath(key), options.hash))
    await this.hashCache?.save(this.root, prefix === '' ? keys : undefined)
    return objects.filter((object): object is StoredObject => object !== undefined)
  }

  stat(key: string, options: {hash?: boolean} = {}): Promise<StoredObject | undefined> {
    return this.describe(key, this.filePath(key), options.hash)
  }

  /**
   * Refuse a folder of the store that is a symbolic link leading outside it: writes through it
   * would land elsewhere (and, never listed back, be written again on every run).
   */
  private insideRoot(folder: string, key: string): Promise<void> {
    let checked = this.checkedFolders.get(folder)
    if (!checked) {
      checked = (async () => {
        if (folder === this.root) return
        await this.insideRoot(path.dirname(folder), key)
        // None yet: created as a real folder. Synchronous: a thread-pool round trip per new folder cost more than the call.
        if (!lstatSync(folder, {throwIfNoEntry: false})?.isSymbolicLink()) return
        const [target, root] = await Promise.all([realpath(folder), realpath(this.root)])
        if (target !== root && !target.startsWith(root + path.sep)) {
          throw new Error(`${key}: ${folder} is a symbolic link to ${target}, outside the store ${this.location}; refusing to write through it (replace the link with a folder)`)
        }
      })()
      this.checkedFolders.set(folder, checked)
      checked.catch(() => this.checkedFolders.delete(folder))
    }
    return checked
  }

  async read(key: string, options: {chunkBytes?: number} = {}): Promise<Readable> {
    // 16 KiB chunks by default, not 64 KiB: the larger freed chunks pile up between collections, so
    // RSS grew ~20 MB from a 15 MB to a 150 MB data file; 16 KiB keeps it flat for ~7% more time
    // (npm run bench).
    return createReadStream('', {fd: this.openForReading(key), highWaterMark: options.chunkBytes ?? 16 * 1024})
  }

  /**
   * Reads into the caller's memory. Opening, closing and small reads are synchronous calls: for a
   * small file copied whole, a thread-pool round trip per call cost more than the call. Large reads
   * (the data file's 1 MiB pieces) go to the thread pool, so that this thread hashes and hands out
   * pieces meanwhile (synchronous, the transform took 15% longer).
   */
  async reader(key: string): Promise<ByteReader> {
    const fd = this.openForReading(key)
    let open = true
    return {
      read: (into) => (into.length < SYNC_READ_BYTES ? Promise.resolve(readSync(fd, into, 0, into.length, null)) : readInPool(fd, into, 0, into.length, null).then(({bytesRead}) => bytesRead)),
      // Once: a second close could close a descriptor opened since under the same number.
      close: async () => {
        if (open) closeSync(fd)
        open = false
      },
    }
  }

  /**
   * A small file's bytes, read at once (copyFrom) into `buffer` (size + 1 bytes or more, reused
   * from file to file), for the `size` its listing found: one read of a byte more tells that it
   * still has that size, with no stat and no second read to find its end (two system calls of the
   * five a file took). A file of another size now is refused.
   */
  readNow(key: string, size: number, buffer: Buffer): Buffer {
    const fd = this.openFile(key)
    try {
      let filled = readSync(fd, buffer, 0, size + 1, null)
      // Fewer bytes than asked for is a regular file's end; fewer than listed, read on to be sure.
      for (let read = filled; read > 0 && filled < size; filled += read) read = readSync(fd, buffer, filled, size + 1 - filled, null)
      if (filled > size) throw new SizeMismatchError(key, size, fstatSync(fd).size)
      return buffer.subarray(0, filled)
    } catch (error) {
      // A folder opens fine on Linux and fails only when read.
      throw (error as NodeJS.ErrnoException).code === 'EISDIR' ? new NotFoundError(this.location, key) : error
      /* c8 ignore next -- V8 counts the gap before `finally` as code, though try and catch both leave before it */
    } finally {
      closeSync(fd)
    }
  }

  /** The file of `key` open for reading (its descriptor, synchronous as in `reader`); NotFoundError when there is no such file. */
  private openFile(key: string): number {
    try {
      return openSync(this.filePath(key), 'r')
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? new NotFoundError(this.location, key) : error
    }
  }

  /** As openFile, and refusing what is not a file. */
  private openForReading(key: string): number {
    const fd = this.openFile(key)
    // A folder opens fine on Linux and fails only when read: refuse it up front.
    if (!fstatSync(fd).isFile()) {
      closeSync(fd)
      throw new NotFoundError(this.location, key)
    }
    return fd
  }

  async write(key: string, body: Body, options: WriteOptions = {}): Promise<StoredObject> {
    const file = this.filePath(key)
    await this.insideRoot(path.dirname(file), key)
    const written = await writeAtomically(file, body, {expectedSize: options.expectedSize, md5: options.md5, key}).catch((error: NodeJS.ErrnoException) => {
      throw namedWriteError(key, file, error)
    })
    return this.recordWritten(key, file, written, options)
  }

  /** A file just put in place, counted, stamped and recorded. */
  private async recordWritten(key: string, file: string, written: {md5: string; size: number}, options: WriteOptions): Promise<StoredObject> {
    const {object, recorded} = this.noteWritten(await this.loadManifest(), key, file, written, options)
    try {
      await recorded
    } catch (error) {
      throw new UnrecordedWriteError(key, error as Error)
    }
    return object
  }

  /** A file just put in place, counted, stamped and entered in the manifest in hand; `recorded` settles with its journal append. */
  private noteWritten(manifest: Manifest, key: string, file: string, {md5, size}: {md5: string; size: number}, options: WriteOptions): {object: StoredObject; recorded: Promise<void>} {
    // From here the new copy is in place: a failure must not be reported as "previous copy kept".
    this.changes++
    const metadata = {...options.metadata}
    let stamp: FileStamp
    try {
      stamp = stampOf(statSync(file))
      /* c8 ignore next 3 -- the file removed by someone else between its rename and this stat: a race no test arranges */
    } catch (error) {
      throw new UnrecordedWriteError(key, error as Error)
    }
    return {object: {key, size, md5, metadata}, recorded: this.recordIn(manifest, key, {...stamp, md5, metadata})}
  }

  /**
   * Copy small files of another folder, each read, checked against the MD5 the caller knows, and
   * written as `write` does, in one go: no stream, and no promise per step of a file, which made
   * most of the time of a sync of 10,000 small files (npm run bench:sync); their journal lines are
   * appended together. Per file, its object or the error that stopped it (its previous copy kept).
   */
  async copyFrom(source: FolderStore, files: readonly CopyRequest[]): Promise<(StoredObject | Error)[]> {
    const targets = files.map(({key}) => this.filePath(key))
    // Each folder checked once, before anything is written through it.
    const checks = new Map<string, Promise<Error | undefined>>()
    targets.forEach((target, i) => {
      const folder = path.dirname(target)
      if (!checks.has(folder)) checks.set(folder, this.insideRoot(folder, files[i]!.key).then(() => undefined, (error: unknown) => error as Error))
    })
    const refused = new Map(await Promise.all([...checks].map(async ([folder, check]) => [folder, await check] as const)))
    const manifest = await this.loadManifest()
    // Read into one buffer, again and again: each file is written before the next is read.
    const scratch = Buffer.allocUnsafe(Math.max(0, ...files.map(({size}) => size)) + 1)
    let recorded: Promise<void> | undefined
    const outcomes = files.map(({key, size, md5, options}, i): StoredObject | Error => {
      try {
        const target = targets[i]!
        const problem = refused.get(path.dirname(target))
        if (problem) throw problem
        const bytes = source.readNow(key, size, scratch)
        const actual = md5Hex(bytes)
        if (md5 !== undefined && actual !== md5) throw new ChecksumMismatchError(key, md5, actual)
        let written
        try {
          written = commit(stage(target, bytes, {expectedSize: options.expectedSize, md5: actual, key}))
        } catch (error) {
          throw namedWriteError(key, target, error as NodeJS.ErrnoException)
        }
        const noted = this.noteWritten(manifest, key, target, written, options)
        recorded = noted.recorded
        return noted.object
      } catch (error) {
        return error as Error
      }
    })
    // One journal append records them all: if it fails, every file written is unrecorded.
    const failure = await recorded?.then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    return failure ? outcomes.map((outcome) => (outcome instanceof Error ? outcome : new UnrecordedWriteError(outcome.key, failure))) : outcomes
  }

  /**
   * Write the files as one set: all are staged first (a full disk fails here, before any is
   * visible, and every temp file is removed), then renamed into place together (commitAll), then
   * recorded in the journal.
   */
  async writeAll(files: readonly {key: string; body: Body; options?: WriteOptions}[]): Promise<StoredObject[]> {
    const targets = files.map(({key}) => this.filePath(key))
    await Promise.all(files.map(({key}, i) => this.insideRoot(path.dirname(targets[i]!), key)))
    // Async, so that a file failing at once (a full disk) still lets the others settle and be discarded.
    const settled = await Promise.allSettled(files.map(async ({key, body, options}, i) => stage(targets[i]!, body, {expectedSize: options?.expectedSize, md5: options?.md5, key})))
    const staged = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
    const failed = settled.find((result) => result.status === 'rejected')
    if (failed) {
      staged.forEach(discard)
      throw failed.reason
    }
    await commitAll(staged)
    this.changes += files.length
    const written = files.map(({key, options}, i) => ({key, size: staged[i]!.size, md5: staged[i]!.md5, metadata: {...options?.metadata}}))
    try {
      const stamps = targets.map((file) => stampOf(statSync(file)))
      await Promise.all(written.map(({key, md5, metadata}, i) => this.record(key, {...stamps[i]!, md5, metadata})))
    } catch (error) {
      throw new UnrecordedWriteError(files.map(({key}) => key).join(', '), error as Error)
    }
    return written
  }

  async delete(key: string): Promise<void> {
    const file = this.filePath(key)
    await this.insideRoot(path.dirname(file), key)
    await rm(file, {force: true})
    this.changes++
    await this.record(key, undefined)
  }

  /**
   * Take the store's lock (`.dataquest-lock` in its root), then sweep the temp files a killed
   * writer left (ours by name, and no live writer can own them once we hold the lock) and repair a
   * damaged manifest. An interrupt sweeps again and releases.
   */
  async lockForWriting(command: string): Promise<WriteLock> {
    await mkdir(this.root, {recursive: true})
    const lock = acquireLock(path.join(this.root, LOCK_NAME), {location: this.location, command, onWarning: this.warn})
    const unregister = onInterrupt(() => {
      try {
        // Catches a temp file whose creation was already under way when its own cleanup ran.
        sweepTemps(this.root)
      } finally {
        lock.release()
      }
    })
    const release = (): void => {
      unregister()
      lock.release()
    }
    try {
      const swept = sweepTemps(this.root)
      if (swept.files > 0) {
        this.warn(`${this.location}: removed ${plural(swept.files, 'temp file')} (${megabytes(swept.bytes)}) left by an interrupted writer`)
      }
      this.writer = true
      this.manifest = undefined
      await this.loadManifest()
    } catch (error) {
      release()
      throw error
    }
    const changesBefore = this.changes
    const changes = (): number => this.changes - changesBefore
    return {
      get changes() {
        return changes()
      },
      release: () => {
        this.writer = false
        release()
      },
    }
  }
}
