import type {StoredObject} from '../stores/store.js'

/** Source metadata fetch keeps with each file it writes (folder manifest / S3 object metadata). */
export const SOURCE_META = {size: 'source-size', date: 'source-date', lastModified: 'last-modified', etag: 'etag', url: 'source-url'} as const

/** The mark sync puts on every object it writes, so that a later sync knows which target objects are its own. */
export const WRITER_META = {key: 'written-by', value: 'dataquest'} as const

/**
 * Whether dataquest wrote `object`: sync's mark, or the source metadata fetch has always written
 * (files fetched, or synced, before the mark existed). A folder file changed behind the manifest's
 * back reads with no metadata, so it is no longer counted as ours.
 */
export const writtenByDataquest = ({metadata}: StoredObject): boolean =>
  metadata[WRITER_META.key] === WRITER_META.value || metadata[SOURCE_META.size] !== undefined || metadata[SOURCE_META.url] !== undefined
