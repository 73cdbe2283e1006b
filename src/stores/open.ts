import path from 'node:path'

import {type AwsOptions, createS3Client} from '../aws/clients.js'
import {FolderStore, type FolderStoreOptions} from './folder.js'
import {S3Store, type S3StoreOptions} from './s3.js'
import type {Store} from './store.js'

export type OpenStoreOptions = AwsOptions & S3StoreOptions & FolderStoreOptions

export const isS3Location = (location: string): boolean => location.startsWith('s3://')

/** A store from a location string: `s3://bucket/prefix` or a folder path. */
export function openStore(location: string, options: OpenStoreOptions = {}): Store {
  if (isS3Location(location)) return new S3Store(createS3Client(options), location, options)
  return new FolderStore(path.resolve(location), options)
}
