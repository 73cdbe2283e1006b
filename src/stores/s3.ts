import {createReadStream} from 'node:fs'
import {mkdtemp, open, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import {Upload} from '@aws-sdk/lib-storage'

import {mapLimit} from '../util/concurrency.js'
import {toReadable} from './folder.js'
import {HashingStream} from './md5.js'
import {parseS3Location} from './s3-location.js'
import {assertSafeKey, type Body, NotFoundError, SizeMismatchError, type Store, type StoredObject, type WriteOptions} from './store.js'

/** Metadata key holding the MD5 of a multipart object, whose ETag is not an MD5. */
export const MD5_METADATA_KEY = 'content-md5'

export interface S3StoreOptions {
  /** Bodies of at least this many bytes go up as multipart uploads. */
  multipartThreshold?: number
  /** Part size for multipart uploads (S3's minimum is 5 MiB). */
  partSize?: number
}

const MiB = 1024 * 1024

export {parseS3Location, type S3Location} from './s3-location.js'

// HEAD answers 404 as NotFound (no body to name it), GET as NoSuchKey.
const isNotFound = (error: unknown): boolean => ['NoSuchKey', 'NotFound'].includes((error as Error).name)

/** The MD5 an object's listing reveals: its ETag unless multipart (`<hash>-<parts>`), else our metadata. */
const md5Of = (etag: string | undefined, metadata: Record<string, string>): string | undefined => {
  const plain = String(etag).replaceAll('"', '')
  return /^[0-9a-f]{32}$/.test(plain) ? plain : metadata[MD5_METADATA_KEY]
}

export class S3Store implements Store {
  readonly location: string
  private readonly bucket: string
  private readonly prefix: string
  private readonly multipartThreshold: number
  private readonly partSize: number

  constructor(private readonly client: S3Client, location: string, options: S3StoreOptions = {}) {
    ;({bucket: this.bucket, prefix: this.prefix} = parseS3Location(location))
    this.location = `s3://${this.bucket}/${this.prefix}`
    this.multipartThreshold = options.multipartThreshold ?? 16 * MiB
    this.partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB)
  }

  private objectKey(key: string): string {
    assertSafeKey(key)
    return this.prefix + key
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    const listed: {key: string}[] = []
    let token: string | undefined
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token}),
      )
      for (const object of page.Contents ?? []) {
        if (object.Key?.endsWith('/')) continue // folder markers made by consoles
        listed.push({key: object.Key!.slice(this.prefix.length)})
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    // Listings carry no user metadata; a HEAD per object fetches it (S3 requests, not upstream ones).
    const objects = await mapLimit(listed, 8, async ({key}) => this.stat(key))
    // S3 lists keys in order, and mapLimit keeps it.
    return objects.filter((object): object is StoredObject => object !== undefined)
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({Bucket: this.bucket, Key: this.objectKey(key)}))
      const metadata = {...head.Metadata}
      return {key, size: head.ContentLength!, md5: md5Of(head.ETag, metadata), metadata}
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
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

  async write(key: string, body: Body, options: WriteOptions = {}): Promise<StoredObject> {
    const objectKey = this.objectKey(key)
    // Spool to disk first: the MD5 (for Content-MD5) and the length must be known before the
    // upload starts, and a short body must be caught before it replaces the previous object.
    const folder = await mkdtemp(path.join(os.tmpdir(), 'dataquest-'))
    const spool = path.join(folder, 'body')
    try {
      const hashing = new HashingStream()
      const handle = await open(spool, 'w')
      await pipeline(toReadable(body), hashing, handle.createWriteStream())
      const size = hashing.bytes
      const md5 = hashing.digest()
      if (options.expectedSize !== undefined && size !== options.expectedSize) {
        throw new SizeMismatchError(key, options.expectedSize, size)
      }
      const metadata = {...options.metadata}
      if (size >= this.multipartThreshold) {
        metadata[MD5_METADATA_KEY] = md5
        await new Upload({
          client: this.client,
          partSize: this.partSize,
          queueSize: 4,
          params: {Bucket: this.bucket, Key: objectKey, Body: createReadStream(spool), ContentType: options.contentType, Metadata: metadata},
        }).done()
      } else {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: createReadStream(spool),
            ContentLength: size,
            ContentMD5: Buffer.from(md5, 'hex').toString('base64'),
            ContentType: options.contentType,
            Metadata: metadata,
          }),
        )
      }
      return {key, size, md5, metadata}
    } finally {
      await rm(folder, {recursive: true, force: true})
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({Bucket: this.bucket, Key: this.objectKey(key)}))
  }
}
