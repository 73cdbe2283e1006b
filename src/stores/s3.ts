import {createHash} from 'node:crypto'
import type {Readable} from 'node:stream'
import {text} from 'node:stream/consumers'

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'

import {isRecord} from '../util/is-record.js'
import {mapLimit} from '../util/concurrency.js'
import {onInterrupt} from './cleanup.js'
import {parseS3Location} from './s3-location.js'
import {
  assertSafeKey,
  type Body,
  type ByteReader,
  isInternalName,
  MANIFEST_NAME,
  NotFoundError,
  SizeMismatchError,
  type Store,
  type StoredObject,
  streamReader,
  toReadable,
  unsafeKeyProblem,
  type WriteOptions,
} from './store.js'

/**
 * Metadata key in which earlier versions kept a multipart object's MD5. It is a claim anyone can
 * copy onto other content, so it is never trusted (nor passed on); the manifest holds MD5s now.
 */
export const LEGACY_MD5_METADATA_KEY = 'content-md5'

export interface S3StoreOptions {
  /** Bodies of at least this many bytes go up as multipart uploads in parts of this size (S3's minimum is 5 MiB). */
  partSize?: number
  /** Keys per LIST page: S3's maximum, 1,000, unless smaller pages are wanted (tests page through a few dozen objects). */
  listPageSize?: number
  /** Bytes a manifest object may hold (default MAX_MANIFEST_BYTES); tests lower it. */
  maxManifestBytes?: number
  /** Something the caller should know that does not stop the work (a key skipped, a manifest rebuilt). */
  onWarning?: (message: string) => void
}

/** ~80,000 entries: a larger manifest is set aside and rebuilt (a 114 MB one took 1 GB to parse). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024

const MiB = 1024 * 1024
/** Parts in flight at once per upload: memory is about (this + 1) × partSize. */
const PARTS_IN_FLIGHT = 4

export {parseS3Location, type S3Location} from './s3-location.js'

// HEAD answers 404 as NotFound (no body to name it), GET as NoSuchKey.
const isNotFound = (error: unknown): boolean => ['NoSuchKey', 'NotFound'].includes((error as Error).name)

/** What the manifest remembers of an object, trusted only while LIST shows the same ETag and size. */
interface ManifestEntry {
  etag: string
  size: number
  /** Only for multipart objects, whose ETag is not an MD5; a plain ETag is the MD5. */
  md5?: string
  metadata: Record<string, string>
}

const plainMd5 = (etag: string): string | undefined => (/^[0-9a-f]{32}$/.test(etag) ? etag : undefined)
const unquote = (etag: string | undefined): string => String(etag).replaceAll('"', '')
const base64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64')

const isEntry = (value: unknown): value is ManifestEntry =>
  isRecord(value) && typeof value.etag === 'string' && typeof value.size === 'number' && isRecord(value.metadata)

/** A manifest body as entries, or why it is not one. */
function parseManifest(body: string): Map<string, ManifestEntry> | string {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    return `not JSON: ${(error as Error).message}`
  }
  if (!isRecord(parsed) || !isRecord(parsed.objects)) return 'not {version, objects}'
  return new Map(Object.entries(parsed.objects).filter((pair): pair is [string, ManifestEntry] => isEntry(pair[1])))
}

/**
 * The manifest that holds `key`'s entry: one per folder, for folders up to two levels deep (deeper
 * keys go to their two-level ancestor's), so writers of disjoint prefixes (`bls/pr/`, `bls/ce/`,
 * `datausa/`: the parallel fetch Lambdas) never rewrite the same manifest object.
 */
export function manifestFolderOf(key: string): string {
  const folders = key.split('/').slice(0, -1).slice(0, 2)
  return folders.map((folder) => `${folder}/`).join('')
}

interface Shard {
  entries: Map<string, ManifestEntry>
  /** Changed since read: the next flush saves it. */
  dirty: boolean
}

/**
 * An S3 prefix as a store. Listing costs one LIST per 1,000 objects plus one GET per manifest
 * object (`<folder>/.dataquest-manifest.json`, see manifestFolderOf) that remembers each object's
 * metadata and, for multipart objects, its MD5. A manifest is a cache: an entry counts only while
 * LIST shows the object with the ETag and size recorded, so an object changed behind its back (by
 * anyone, or a writer whose manifest update was lost) costs a HEAD, never a wrong answer. Entries
 * LIST no longer shows are pruned; an oversized or unreadable manifest is rebuilt, with a warning.
 */
export class S3Store implements Store {
  readonly location: string
  private readonly bucket: string
  private readonly prefix: string
  private readonly partSize: number
  private readonly listPageSize: number | undefined
  private readonly maxManifestBytes: number
  private readonly warn: (message: string) => void
  private readonly shards = new Map<string, Promise<Shard>>()
  private saving: Promise<void> = Promise.resolve()
  private unregisterSave: (() => void) | undefined

  constructor(private readonly client: S3Client, location: string, options: S3StoreOptions = {}) {
    ;({bucket: this.bucket, prefix: this.prefix} = parseS3Location(location))
    this.location = `s3://${this.bucket}/${this.prefix}`
    this.partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB)
    this.listPageSize = options.listPageSize
    this.maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES
    this.warn = options.onWarning ?? (() => {})
  }

  private objectKey(key: string): string {
    assertSafeKey(key)
    return this.prefix + key
  }

  /** The manifest of `folder` (see manifestFolderOf), read once. */
  private shard(folder: string): Promise<Shard> {
    let shard = this.shards.get(folder)
    if (!shard) {
      shard = this.readShard(folder)
      this.shards.set(folder, shard)
      shard.catch(() => this.shards.delete(folder))
    }
    return shard
  }

  private async readShard(folder: string): Promise<Shard> {
    const Key = this.prefix + folder + MANIFEST_NAME
    let object
    try {
      object = await this.client.send(new GetObjectCommand({Bucket: this.bucket, Key}))
    } catch (error) {
      if (isNotFound(error)) return {entries: new Map(), dirty: false}
      /* c8 ignore next 2 -- a GET refused after its LIST succeeded (a policy on the manifest key alone): fauxqs has no policies */
      throw error
    }
    let parsed: Map<string, ManifestEntry> | string
    /* c8 ignore next -- S3 (and fauxqs) always give a GET's Content-Length; the SDK's type has it optional */
    if ((object.ContentLength ?? 0) > this.maxManifestBytes) {
      ;(object.Body as Readable).destroy()
      parsed = `${object.ContentLength} bytes, over the cap of ${this.maxManifestBytes}`
    } else parsed = parseManifest(await text(object.Body as Readable))
    if (typeof parsed === 'string') {
      this.warn(`s3://${this.bucket}/${Key} is ${parsed}: ignored it (each object is read by HEAD instead); the next write rebuilds it`)
      return {entries: new Map(), dirty: true}
    }
    // Entries of keys that belong to another manifest (an earlier version kept one for the whole prefix) are dropped.
    const entries = new Map([...parsed].filter(([key]) => manifestFolderOf(key) === folder))
    return {entries, dirty: entries.size !== parsed.size}
  }

  /** Record what is now known of `key` (undefined: gone), for the next `flush`. */
  private learn(shard: Shard, key: string, entry: ManifestEntry | undefined): void {
    if (entry) shard.entries.set(key, entry)
    else shard.entries.delete(key)
    shard.dirty = true
  }

  /** After a write or delete: record it, and save the manifests even if the batch is interrupted. */
  private async remember(key: string, entry: ManifestEntry | undefined): Promise<void> {
    this.learn(await this.shard(manifestFolderOf(key)), key, entry)
    this.unregisterSave ??= onInterrupt(() => this.flush())
  }

  /** Save each manifest that changed since it was read. */
  flush(): Promise<void> {
    const saved = this.saving.then(async () => {
      this.unregisterSave?.()
      this.unregisterSave = undefined
      for (const [folder, loading] of [...this.shards]) {
        const shard = await loading
        if (shard.dirty) await this.saveShard(folder, shard)
      }
    })
    this.saving = saved.catch(() => {})
    return saved
  }

  private async saveShard(folder: string, shard: Shard): Promise<void> {
    shard.dirty = false
    const Key = this.prefix + folder + MANIFEST_NAME
    const objects = Object.fromEntries([...shard.entries].sort(([a], [b]) => (a < b ? -1 : 1)))
    const body = `${JSON.stringify({version: 1, objects})}\n`
    if (Buffer.byteLength(body) > this.maxManifestBytes) {
      this.warn(`s3://${this.bucket}/${Key}: ${shard.entries.size} entries would take more than ${this.maxManifestBytes} bytes; not saved (objects under it are read by HEAD)`)
      return
    }
    const ContentMD5 = createHash('md5').update(body).digest('base64')
    await this.client.send(new PutObjectCommand({Bucket: this.bucket, Key, Body: body, ContentMD5, ContentType: 'application/json'})).catch((error: unknown) => {
      shard.dirty = true
      throw error
    })
  }

  /** The object as a store describes it: MD5 from a plain ETag, else from a manifest entry that still matches. */
  private describe(key: string, etag: string, size: number, entry: ManifestEntry | undefined, metadata: Record<string, string>): StoredObject {
    const current = entry?.etag === etag && entry.size === size ? entry : undefined
    const md5 = plainMd5(etag) ?? current?.md5
    return {key, size, ...(md5 ? {md5} : {}), metadata: {...metadata}}
  }

  /**
   * The objects LIST shows under `prefix`, but store-internal names (skipped unsaid) and keys no
   * store could hold (`a//b`, `a\\b`: skipped with a warning naming them).
   */
  private async listing(prefix: string): Promise<{listed: {key: string; etag: string; size: number}[]; manifests: string[]}> {
    const listed = []
    const manifests = []
    let token: string | undefined
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token, MaxKeys: this.listPageSize}),
      )
      for (const object of page.Contents ?? []) {
        const key = object.Key!.slice(this.prefix.length)
        const name = key.split('/').at(-1)!
        if (name === MANIFEST_NAME) manifests.push(key.slice(0, -name.length))
        if (key.endsWith('/') || isInternalName(name)) continue // folder markers made by consoles; our bookkeeping
        const problem = unsafeKeyProblem(key)
        if (problem) {
          this.warn(`skipped s3://${this.bucket}/${object.Key}: ${problem}`)
          continue
        }
        listed.push({key, etag: unquote(object.ETag), size: object.Size!})
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return {listed, manifests}
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    const {listed, manifests} = await this.listing(prefix)
    // The manifests LIST shows (a folder without one costs no GET), and those above the prefix, which it cannot show.
    const folders = new Set([...manifests, ...listed.map(({key}) => manifestFolderOf(key)).filter((folder) => !folder.startsWith(prefix))])
    const shards = new Map(await Promise.all([...folders].map(async (folder) => [folder, await this.shard(folder)] as const)))
    // Prune what LIST no longer shows, in the manifests the listing covers whole.
    const present = new Set(listed.map(({key}) => key))
    for (const [folder, shard] of shards) {
      if (!folder.startsWith(prefix)) continue
      for (const key of shard.entries.keys()) if (!present.has(key)) this.learn(shard, key, undefined)
    }
    // S3 lists keys in order, and mapLimit keeps it. Only objects the manifest cannot vouch for cost a HEAD.
    const objects = await mapLimit(listed, 16, async ({key, etag, size}) => {
      const shard = shards.get(manifestFolderOf(key))
      const entry = shard?.entries.get(key)
      if (entry?.etag === etag && entry.size === size) return this.describe(key, etag, size, entry, entry.metadata)
      const head = await this.head(key)
      /* c8 ignore next -- an object deleted between LIST and HEAD: no test can interleave the two */
      if (!head) return undefined
      // Learnt once: the next flush saves it, and the next listing needs no HEAD for it.
      this.learn(shard ?? (await this.shard(manifestFolderOf(key))), key, head.entry)
      return head.object
    })
    return objects.filter((object): object is StoredObject => object !== undefined)
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    return (await this.head(key))?.object
  }

  private async head(key: string): Promise<{object: StoredObject; entry: ManifestEntry} | undefined> {
    let head
    try {
      head = await this.client.send(new HeadObjectCommand({Bucket: this.bucket, Key: this.objectKey(key)}))
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
    const etag = unquote(head.ETag)
    const size = head.ContentLength!
    const {[LEGACY_MD5_METADATA_KEY]: _untrusted, ...metadata} = head.Metadata!
    // A multipart ETag is no MD5: only a manifest entry for this very ETag knows it.
    const known = plainMd5(etag) ? undefined : (await this.shard(manifestFolderOf(key))).entries.get(key)
    const object = this.describe(key, etag, size, known, metadata)
    return {object, entry: {etag, size, ...(object.md5 && !plainMd5(etag) ? {md5: object.md5} : {}), metadata}}
  }

  async read(key: string): Promise<Readable> {
    try {
      const object = await this.client.send(new GetObjectCommand({Bucket: this.bucket, Key: this.objectKey(key)}))
      return object.Body as Readable
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(this.location, key)
      throw error
    }
  }

  async reader(key: string): Promise<ByteReader> {
    return streamReader(await this.read(key))
  }

  /**
   * Stream `body` up while hashing it: a body shorter than one part is one PutObject with its
   * Content-MD5; a longer one a multipart upload whose parts (each with its Content-MD5) go up as
   * they fill, at most PARTS_IN_FLIGHT at once. A body that fails, or ends at another length than
   * `expectedSize`, aborts the upload before it completes, so the previous object stays.
   */
  async write(key: string, body: Body, options: WriteOptions = {}): Promise<StoredObject> {
    const target = {Bucket: this.bucket, Key: this.objectKey(key)}
    const metadata = {...options.metadata}
    const described = {...target, ContentType: options.contentType, Metadata: metadata}
    const hash = createHash('md5')
    const inFlight = new Set<Promise<void>>()
    const parts: {PartNumber: number; ETag: string}[] = []
    let failure: unknown
    const rethrow = (): void => {
      if (failure !== undefined) throw failure
    }
    let partNumber = 0
    let uploadId: string | undefined
    let unregister = (): void => {}
    // The body so far since the last part: chunks, not a part-sized buffer, so a small object costs
    // its own size (8 MiB per object made thousands of small uploads crawl on GC).
    let pending: Buffer[] = []
    let filled = 0
    let size = 0

    const abort = async (): Promise<void> => {
      await Promise.all(inFlight) // parts still arriving after an abort would be kept (and billed)
      await this.client.send(new AbortMultipartUploadCommand({...target, UploadId: uploadId}))
    }
    const sendPart = async (data: Buffer): Promise<void> => {
      if (uploadId === undefined) {
        uploadId = (await this.client.send(new CreateMultipartUploadCommand(described))).UploadId!
        unregister = onInterrupt(abort)
      }
      const PartNumber = ++partNumber
      const ContentMD5 = createHash('md5').update(data).digest('base64')
      const sending = this.client
        .send(new UploadPartCommand({...target, UploadId: uploadId, PartNumber, Body: data, ContentMD5}))
        .then((sent) => void parts.push({PartNumber, ETag: sent.ETag!}), (error: unknown) => void (failure ??= error))
        .finally(() => inFlight.delete(sending))
      inFlight.add(sending)
      // Back-pressure: read no further while PARTS_IN_FLIGHT parts are on their way.
      if (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight)
      rethrow()
    }
    try {
      for await (const data of toReadable(body) as AsyncIterable<Uint8Array | string>) {
        // Readable.from([bytes]) yields the Uint8Array itself, and a stream with an encoding yields strings.
        const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data)
        hash.update(chunk)
        size += chunk.length
        let rest = chunk
        while (filled + rest.length >= this.partSize) {
          const taken = this.partSize - filled
          pending.push(rest.subarray(0, taken))
          rest = rest.subarray(taken)
          const part = Buffer.concat(pending, this.partSize)
          pending = []
          filled = 0
          await sendPart(part)
        }
        if (rest.length > 0) {
          pending.push(rest)
          filled += rest.length
        }
      }
      const last = Buffer.concat(pending, filled)
      if (options.expectedSize !== undefined && size !== options.expectedSize) throw new SizeMismatchError(key, options.expectedSize, size)
      const md5 = hash.digest('hex')
      let etag: string
      if (uploadId === undefined) {
        const sent = await this.client.send(new PutObjectCommand({...described, Body: last, ContentLength: filled, ContentMD5: base64(md5)}))
        etag = unquote(sent.ETag)
      } else {
        if (filled > 0) await sendPart(last)
        await Promise.all(inFlight)
        rethrow()
        parts.sort((a, b) => a.PartNumber - b.PartNumber)
        const done = await this.client.send(new CompleteMultipartUploadCommand({...target, UploadId: uploadId, MultipartUpload: {Parts: parts}}))
        etag = unquote(done.ETag)
      }
      await this.remember(key, {etag, size, ...(plainMd5(etag) ? {} : {md5}), metadata})
      return {key, size, md5, metadata}
    } catch (error) {
      // The original error says more; an abort that fails too leaves parts for the bucket's lifecycle rule.
      if (uploadId !== undefined) await abort().catch(() => {})
      throw error
      /* c8 ignore next -- V8 counts the gap before `finally` as code, though try and catch both leave before it */
    } finally {
      unregister()
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({Bucket: this.bucket, Key: this.objectKey(key)}))
    await this.remember(key, undefined)
  }
}
