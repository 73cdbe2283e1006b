import {createReadStream, readdirSync, rmSync, statSync} from 'node:fs'
import {link, mkdir, open, readdir, readFile, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createHash, randomBytes} from 'node:crypto'

import {isRecord} from '../util/is-record.js'
import {plural} from '../util/plural.js'
import {onInterrupt} from './cleanup.js'
import {acquireLock} from './lock.js'
import {HashingStream} from './md5.js'
import {
  assertSafeKey,
  type Body,
  NotFoundError,
  SizeMismatchError,
  type Store,
  type StoredObject,
  StoreWriteError,
  UnrecordedWriteError,
  type WriteLock,
  type WriteOptions,
} from './store.js'

/** Where a folder store keeps what the file system cannot: each file's MD5 and metadata. */
export const MANIFEST_NAME = '.dataquest-manifest.json'
/** The writer's lock (see lock.ts); a damaged manifest is set aside as `<MANIFEST_NAME>.damaged-<time>`. */
export const LOCK_NAME = '.dataquest-lock'

interface ManifestEntry {
  size: number
  mtimeMs: number
  md5: string
  metadata: Record<string, string>
}

type Manifest = Record<string, ManifestEntry>

/** Not objects: our bookkeeping (manifest, lock, what was set aside) and any dot-named temp file. */
const isHidden = (name: string): boolean => name.startsWith('.dataquest-') || (name.startsWith('.') && name.endsWith('.tmp'))

/** Exactly the names writeAtomically gives its temp files: only these are ever swept. */
const TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/
const tempName = (target: string): string => path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`)

/** A file written under a temp name beside its target, not yet visible. */
interface Staged {
  target: string
  temp: string
  md5: string
  size: number
  /** Forget the interrupt cleanup (once the temp is renamed or removed). */
  unregister: () => void
}

/** Write `body` to a temp file beside `target`; on failure the temp file is gone. */
async function stage(target: string, body: Readable, expectedSize?: number, key = path.basename(target)): Promise<Staged> {
  await mkdir(path.dirname(target), {recursive: true})
  const temp = tempName(target)
  // Registered before the file exists, removed by name: an interrupt at any point leaves nothing.
  const unregister = onInterrupt(() => rmSync(temp, {force: true}))
  const hashing = new HashingStream()
  try {
    const handle = await open(temp, 'w')
    await pipeline(body, hashing, handle.createWriteStream())
    if (expectedSize !== undefined && hashing.bytes !== expectedSize) {
      throw new SizeMismatchError(key, expectedSize, hashing.bytes)
    }
    return {target, temp, md5: hashing.digest(), size: hashing.bytes, unregister}
  } catch (error) {
    await rm(temp, {force: true})
    unregister()
    throw error
  }
}

async function discard(staged: Staged): Promise<void> {
  await rm(staged.temp, {force: true})
  staged.unregister()
}

/** Write a file atomically: a temp file in the same folder, then rename. */
async function writeAtomically(target: string, body: Readable, expectedSize?: number, key = path.basename(target)): Promise<{md5: string; size: number}> {
  const staged = await stage(target, body, expectedSize, key)
  try {
    await rename(staged.temp, staged.target)
    return staged
  } finally {
    await discard(staged)
  }
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
    await Promise.all(staged.map(discard))
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
    const valid =
      isRecord(entry) &&
      typeof entry.size === 'number' &&
      typeof entry.mtimeMs === 'number' &&
      typeof entry.md5 === 'string' &&
      isRecord(entry.metadata) &&
      Object.values(entry.metadata).every((v) => typeof v === 'string')
    if (!valid) return `its entry for ${JSON.stringify(key)} is not {size, mtimeMs, md5, metadata}`
  }
  return undefined
}

async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

export const toReadable = (body: Body): Readable =>
  body instanceof Readable ? body : Readable.from([typeof body === 'string' ? Buffer.from(body) : body])

export interface FolderStoreOptions {
  /** Something the caller should know that does not stop the work (a rebuilt manifest, swept leftovers, a stale lock). */
  onWarning?: (message: string) => void
}

export class FolderStore implements Store {
  readonly location: string
  private manifest: Promise<Manifest> | undefined
  /** Serialises manifest updates: writes run concurrently but the manifest is one file. */
  private manifestLock: Promise<unknown> = Promise.resolve()
  /** Where a damaged manifest goes before the rebuilt one replaces it. */
  private damagedAside: string | undefined
  /** Holding the lock: a damaged manifest is repaired on sight, not only worked around. */
  private writer = false
  /** Writes and deletes completed (for the interrupt message). */
  private changes = 0
  private readonly warn: (message: string) => void

  constructor(readonly root: string, options: FolderStoreOptions = {}) {
    this.location = root
    this.warn = options.onWarning ?? (() => {})
  }

  private filePath(key: string): string {
    assertSafeKey(key)
    return path.join(this.root, ...key.split('/'))
  }

  private get manifestFile(): string {
    return path.join(this.root, MANIFEST_NAME)
  }

  /** The manifest, read once (concurrent callers share the read). */
  private loadManifest(): Promise<Manifest> {
    this.manifest ??= this.readManifest().catch((error: unknown) => {
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
      await this.saveManifest(manifest)
      this.warn(`${what}: set it aside as ${aside} and rebuilt it from the ${files} here (hashed); the metadata kept with them is lost`)
    } else {
      this.warn(`${what}: ignored it, hashing the ${files} here instead (their kept metadata is lost); the next command that writes this store rebuilds it`)
    }
    return manifest
  }

  /** A manifest of the files as they are: hashed, without metadata. */
  private async rebuild(): Promise<Manifest> {
    const keys = await this.keys()
    const entries = await Promise.all(
      keys.map(async (key): Promise<[string, ManifestEntry]> => {
        const file = this.filePath(key)
        const {size, mtimeMs} = await stat(file)
        return [key, {size, mtimeMs, md5: await md5OfFile(file), metadata: {}}]
      }),
    )
    return Object.fromEntries(entries)
  }

  /** Write the manifest in key order, first setting a damaged one aside. */
  private async saveManifest(manifest: Manifest): Promise<void> {
    if (this.damagedAside) {
      await rename(this.manifestFile, path.join(this.root, this.damagedAside))
      this.damagedAside = undefined
    }
    const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => (a < b ? -1 : 1)))
    await writeAtomically(this.manifestFile, toReadable(JSON.stringify(sorted, null, 1) + '\n'))
  }

  private updateManifest(change: (manifest: Manifest) => void): Promise<void> {
    const next = this.manifestLock.then(async () => {
      const manifest = await this.loadManifest()
      change(manifest)
      await this.saveManifest(manifest)
    })
    this.manifestLock = next.catch(() => {})
    return next
  }

  private async describe(key: string, file: string, hashUnknown = true): Promise<StoredObject | undefined> {
    let info
    try {
      info = await stat(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    if (!info.isFile()) return undefined
    const entry = (await this.loadManifest())[key]
    if (entry && entry.size === info.size && entry.mtimeMs === info.mtimeMs) {
      return {key, size: info.size, md5: entry.md5, metadata: {...entry.metadata}}
    }
    // Changed behind our back (or never written by us): hash it, and trust none of its old metadata.
    if (!hashUnknown) return {key, size: info.size, metadata: {}}
    return {key, size: info.size, md5: await md5OfFile(file), metadata: {}}
  }

  /** Every object's key, sorted: the files under the root but our bookkeeping. */
  private async keys(prefix = ''): Promise<string[]> {
    let entries
    try {
      entries = await readdir(this.root, {recursive: true, withFileTypes: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    return entries
      .filter((entry) => entry.isFile() && !isHidden(entry.name))
      .map((entry) => path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort()
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    const keys = await this.keys(prefix)
    const objects = await Promise.all(keys.map((key) => this.describe(key, this.filePath(key))))
    return objects.filter((object): object is StoredObject => object !== undefined)
  }

  stat(key: string, options: {hash?: boolean} = {}): Promise<StoredObject | undefined> {
    return this.describe(key, this.filePath(key), options.hash)
  }

  async read(key: string, options: {chunkBytes?: number} = {}): Promise<Readable> {
    const file = this.filePath(key)
    const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new NotFoundError(this.location, key) : error
    })
    // A folder opens fine on Linux and fails only when read: refuse it up front.
    if (!(await handle.stat()).isFile()) {
      await handle.close()
      throw new NotFoundError(this.location, key)
    }
    // 16 KiB chunks by default, not 64 KiB: the larger freed chunks pile up between collections, so
    // RSS grew ~20 MB from a 15 MB to a 150 MB data file; 16 KiB keeps it flat for ~7% more time
    // (npm run bench). The parallel scan copies chunks into its pieces and asks for bigger ones.
    return handle.createReadStream({highWaterMark: options.chunkBytes ?? 16 * 1024})
  }

  async write(key: string, body: Body, options: WriteOptions = {}): Promise<StoredObject> {
    const file = this.filePath(key)
    const {md5, size} = await writeAtomically(file, toReadable(body), options.expectedSize, key).catch((error: NodeJS.ErrnoException) => {
      // Disk full, read-only, permissions: named with the file (Node's write errors name none).
      throw error.code !== undefined && error.syscall !== undefined ? new StoreWriteError(key, file, error) : error
    })
    // From here the new copy is in place: a failure must not be reported as "previous copy kept".
    this.changes++
    const metadata = {...options.metadata}
    try {
      const {mtimeMs} = await stat(file)
      await this.updateManifest((manifest) => {
        manifest[key] = {size, mtimeMs, md5, metadata}
      })
    } catch (error) {
      throw new UnrecordedWriteError(key, error as Error)
    }
    return {key, size, md5, metadata}
  }

  /**
   * Write the files as one set: all are staged first (a full disk fails here, before any is
   * visible, and every temp file is removed), then renamed into place together (commitAll), then
   * recorded in one manifest update.
   */
  async writeAll(files: readonly {key: string; body: Body; options?: WriteOptions}[]): Promise<StoredObject[]> {
    const targets = files.map(({key}) => this.filePath(key))
    const settled = await Promise.allSettled(files.map(({key, body, options}, i) => stage(targets[i]!, toReadable(body), options?.expectedSize, key)))
    const staged = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
    const failed = settled.find((result) => result.status === 'rejected')
    if (failed) {
      await Promise.all(staged.map(discard))
      throw failed.reason
    }
    await commitAll(staged)
    this.changes += files.length
    const written = files.map(({key, options}, i) => ({key, size: staged[i]!.size, md5: staged[i]!.md5, metadata: {...options?.metadata}}))
    try {
      const times = await Promise.all(targets.map(async (file) => (await stat(file)).mtimeMs))
      await this.updateManifest((manifest) => {
        written.forEach(({key, size, md5, metadata}, i) => {
          manifest[key] = {size, mtimeMs: times[i]!, md5, metadata}
        })
      })
    } catch (error) {
      throw new UnrecordedWriteError(files.map(({key}) => key).join(', '), error as Error)
    }
    return written
  }

  async delete(key: string): Promise<void> {
    await rm(this.filePath(key), {force: true})
    this.changes++
    await this.updateManifest((manifest) => {
      delete manifest[key]
    })
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
