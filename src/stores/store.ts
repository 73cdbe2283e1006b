import {Readable} from 'node:stream'

import {DataquestError} from '../util/errors.js'

/** One object in a store, as its listing describes it. */
export interface StoredObject {
  /** Key relative to the store's root, `/`-separated (e.g. `bls/pr/pr.series`). */
  key: string
  size: number
  /** MD5 of the content in hex, when the store knows it without reading the body. */
  md5?: string
  /** Metadata written with the object (lower-case keys). */
  metadata: Record<string, string>
}

export interface WriteOptions {
  /** Metadata to keep with the object (folder: manifest; S3: x-amz-meta-*). Lower-case keys. */
  metadata?: Record<string, string>
  contentType?: string
  /** When set, a body of any other length is refused and the previous object stays intact. */
  expectedSize?: number
  /** The MD5 (hex) of a body of bytes, when the caller has it from these very bytes: a store may use it rather than hash them again. */
  md5?: string
}

export type Body = Readable | Uint8Array | string

/** A file to copy from another store (FolderStore.copyFrom): its size as listed, its MD5 when known, how to write it. */
export interface CopyRequest {
  key: string
  size: number
  md5?: string
  options: WriteOptions
}

export interface ListOptions {
  /** Hash this object if its MD5 is not known without reading it (default: every one). */
  hash?: (key: string) => boolean | Promise<boolean>
}

/**
 * A flat key/value store of files: a local folder or an S3 prefix.
 * Writes are all-or-nothing: a failed write leaves the previous object as it was.
 */
export interface Store {
  /** Human-readable location (`./data/raw`, `s3://bucket/prefix/`). */
  readonly location: string
  /**
   * Every object whose key starts with `prefix` (all when omitted), sorted by key. `hash`: which
   * objects whose MD5 the store does not know to read and hash (folders; all by default; S3 knows every MD5).
   */
  list(prefix?: string, options?: ListOptions): Promise<StoredObject[]>
  /** The object at `key`, or undefined when there is none. `hash: false`: no md5 unless known without reading the body. */
  stat(key: string, options?: {hash?: boolean}): Promise<StoredObject | undefined>
  /**
   * The object's content as a stream; throws NotFoundError when absent. `chunkBytes`: the size of
   * the chunks to read, where the store chooses it (folders); S3 delivers what the network does.
   */
  read(key: string, options?: {chunkBytes?: number}): Promise<Readable>
  /**
   * The object's content, read into memory the caller owns (no buffer per chunk): folders read the
   * file straight into it, S3 copies what the network delivers. Throws NotFoundError when absent.
   */
  reader(key: string): Promise<ByteReader>
  write(key: string, body: Body, options?: WriteOptions): Promise<StoredObject>
  /**
   * Write several objects as one set, where the store can: all of them visible, or (on a failure)
   * none and the previous ones intact (folders). Stores without it write one at a time.
   */
  writeAll?(files: readonly {key: string; body: Body; options?: WriteOptions}[]): Promise<StoredObject[]>
  delete(key: string): Promise<void>
  /**
   * Become the store's only writer until `release` (stores that can lock: folders). Sweeps what a
   * killed writer left behind, and throws StoreLockedError while another live process writes.
   * `command` names this writer to the others.
   */
  lockForWriting?(command: string): Promise<WriteLock>
  /**
   * Save the bookkeeping of the writes so far (S3: the manifest objects; folders: the manifest, from
   * its journal). Callers do not call it themselves: `writeBatch` does, once a batch is done.
   */
  flush(): Promise<void>
}

/**
 * Run a batch of writes to `store`, then save its bookkeeping, whether the batch succeeded or not
 * (what was written is recorded either way). Every library entry that writes goes through it.
 */
export async function writeBatch<T>(store: Store, work: () => Promise<T>): Promise<T> {
  let result: T
  try {
    result = await work()
  } catch (error) {
    await store.flush().catch(() => {}) // the batch's own error says more
    throw error
  }
  await store.flush()
  return result
}

/** Where a store keeps what its objects cannot carry: each file's MD5 and metadata (folders: in the root; S3: see s3.ts). */
export const MANIFEST_NAME = '.dataquest-manifest.json'
/** A folder store's writer lock (see lock.ts). */
export const LOCK_NAME = '.dataquest-lock'
/** Exactly the names the stores give their temp files (`.<name>.<12 hex>.tmp`): only these are ever swept. */
export const TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/

/**
 * Store-internal names: the manifest, its journal, the lock, what was set aside (`.damaged-*`,
 * `.stale-*`) — all `.dataquest-*` — and temp files. Never listed, copied, or accepted as a key.
 */
export const isInternalName = (name: string): boolean => name.startsWith('.dataquest-') || TEMP_NAME.test(name)

/** Reads an object into the caller's memory (Store.reader). */
export interface ByteReader {
  /** Fills the start of `into` (not empty) with the next bytes; their count, 0 at the end. */
  read(into: Uint8Array): Promise<number>
  close(): Promise<void>
}

/** A stream as a ByteReader: each read takes from one chunk at most, so a chunk's bounds stay bounds. */
export function streamReader(stream: Readable): ByteReader {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>
  let rest: Uint8Array = new Uint8Array(0)
  return {
    async read(into) {
      while (rest.length === 0) {
        const next = await chunks.next()
        if (next.done) return 0
        rest = typeof next.value === 'string' ? Buffer.from(next.value) : next.value
      }
      const count = Math.min(into.length, rest.length)
      into.set(rest.subarray(0, count))
      rest = rest.subarray(count)
      return count
    },
    async close() {
      stream.destroy()
    },
  }
}

/** Everything a reader gives, in one buffer (sized for `expected` bytes, grown if there are more); the reader is closed. */
export async function readWhole(reader: ByteReader, expected: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(expected + 1)
  let filled = 0
  try {
    for (let read; (read = await reader.read(buffer.subarray(filled))) > 0; ) {
      filled += read
      if (filled === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)])
    }
  } finally {
    await reader.close()
  }
  return buffer.subarray(0, filled)
}

export const toReadable = (body: Body): Readable =>
  body instanceof Readable ? body : Readable.from([typeof body === 'string' ? Buffer.from(body) : body])

/** This process's hold on a store (see Store.lockForWriting). */
export interface WriteLock {
  /** Writes and deletes completed through the store since the lock was taken. */
  readonly changes: number
  release(): void
}

/** A store error whose message already says what the store holds now (nothing for the caller to add). */
export class StoreStateError extends DataquestError {
  constructor(message: string, options?: ErrorOptions) {
    super('store', message, options)
  }
}

export class NotFoundError extends DataquestError {
  constructor(readonly location: string, readonly key: string) {
    super('input', `${key} not found in ${location}`)
    this.name = 'NotFoundError'
  }
}

export class SizeMismatchError extends StoreStateError {
  constructor(readonly key: string, readonly expected: number, readonly actual: number) {
    super(`${key}: received ${actual} bytes, expected ${expected}; the previous copy was kept`)
    this.name = 'SizeMismatchError'
  }
}

/** A file system error while writing a key (disk full, read-only, permissions): names the file and the error code. */
export class StoreWriteError extends StoreStateError {
  readonly code: string
  /** Kept from the system error: it marks a local failure that no retry can help (http/client.ts). */
  readonly syscall: string

  constructor(readonly key: string, file: string, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'ENOSPC' ? 'ENOSPC, no space left on device: free some space' : `${cause.code}: ${cause.message.replace(/^\w+: /, '')}`
    super(`${key}: could not write ${file} (${why}); the previous copy was kept`, {cause})
    this.name = 'StoreWriteError'
    this.code = cause.code!
    this.syscall = cause.syscall!
  }
}

/** The new content is in place, but the store failed to record its bookkeeping (folder manifest). */
export class UnrecordedWriteError extends StoreStateError {
  constructor(readonly key: string, cause: Error) {
    super(`${key}: the new copy was written, but recording it failed (${cause.message}); it is hashed again when next read`, {cause})
    this.name = 'UnrecordedWriteError'
  }
}

/** An empty, `.` or `..` segment (a leading or trailing slash makes an empty one), a backslash or a NUL. */
const UNSAFE_KEY = /(?:^|\/)\.{0,2}(?:\/|$)|[\\\0]/

/** Why `key` cannot be a store key, or undefined when it can. One regular expression: every file a sync copies is checked on both sides. */
export function unsafeKeyProblem(key: string): string | undefined {
  if (UNSAFE_KEY.test(key)) return `unsafe store key ${JSON.stringify(key)}: keys must be relative paths without '.', '..' or empty segments`
  if (isInternalName(key.slice(key.lastIndexOf('/') + 1))) return `unsafe store key ${JSON.stringify(key)}: the name is one dataquest keeps for its own bookkeeping`
  return undefined
}

/** Keys are plain relative paths: no empty, `.` or `..` segments, no leading slash, no backslash, no internal name. */
export function assertSafeKey(key: string): void {
  const problem = unsafeKeyProblem(key)
  if (problem) throw new Error(problem)
}
