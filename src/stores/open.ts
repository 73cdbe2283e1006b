import path from 'node:path'

import type {AwsOptions} from '../aws/clients.js'
import {FolderStore, type FolderStoreOptions} from './folder.js'
import type {S3Store, S3StoreOptions} from './s3.js'
import {isS3Location, parseS3Location} from './s3-location.js'
import type {Store} from './store.js'

export type OpenStoreOptions = AwsOptions & S3StoreOptions & FolderStoreOptions

/** A store from a location string: `s3://bucket/prefix` or a folder path. */
export function openStore(location: string, options: OpenStoreOptions = {}): Store {
  if (isS3Location(location)) return lazyS3Store(location, options)
  return new FolderStore(path.resolve(location), options)
}

/**
 * The S3 store, with the AWS SDK (≈150 ms to import) loaded at its first call, so that commands on
 * folders start without it. A bad location still fails here, at once.
 */
function lazyS3Store(location: string, options: OpenStoreOptions): Store {
  const {bucket, prefix} = parseS3Location(location)
  let loading: Promise<S3Store> | undefined
  const s3 = (): Promise<S3Store> =>
    (loading ??= Promise.all([import('../aws/clients.js'), import('./s3.js')]).then(
      ([aws, {S3Store}]) => new S3Store(aws.createS3Client(options), location, options),
    ))
  return {
    location: `s3://${bucket}/${prefix}`,
    list: async (keyPrefix) => (await s3()).list(keyPrefix),
    stat: async (key) => (await s3()).stat(key), // S3 never hashes: the options do not apply
    read: async (key) => (await s3()).read(key), // S3 chunks are the network's: chunkBytes does not apply
    reader: async (key) => (await s3()).reader(key),
    write: async (key, body, writeOptions) => (await s3()).write(key, body, writeOptions),
    delete: async (key) => (await s3()).delete(key),
    // Nothing to save when the store was never used.
    flush: async () => (await loading)?.flush(),
  }
}
