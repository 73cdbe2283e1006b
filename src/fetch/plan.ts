import type {ListingEntry} from '../sources/bls.js'
import {BLS_PREFIX, POPULATION_KEY} from '../stores/raw-layout.js'
import type {StoredObject} from '../stores/store.js'
import {deletionRefusal} from '../sync/deletion-guard.js'
import {byKey} from '../util/outcomes.js'

/** Source metadata kept with each BLS file (folder manifest / S3 object metadata). */
export const SOURCE_META = {size: 'source-size', date: 'source-date', lastModified: 'last-modified', etag: 'etag', url: 'source-url'} as const

/** The reason of a replacement asked for (fetch --force): downloaded whole, unconditionally. */
export const FORCED = 'forced (--force)'

export type FetchAction = 'add' | 'replace' | 'delete' | 'unchanged'

export interface PlannedFile {
  key: string
  action: FetchAction
  /** Why, in a few words (shown in --dry-run and the summary). */
  reason: string
  /** The listing entry (add, replace, unchanged). */
  entry?: ListingEntry
  /** What the store holds now (replace, delete, unchanged). */
  stored?: StoredObject
}

export interface FetchPlan {
  files: PlannedFile[]
  /** Set when the deletion guard refuses the plan. */
  refusal?: string
}

/** Why a stored copy no longer matches its listing entry, or undefined when it still does. */
function staleness(entry: ListingEntry, stored: StoredObject): string | undefined {
  const size = stored.metadata[SOURCE_META.size]
  const date = stored.metadata[SOURCE_META.date]
  if (size === undefined || date === undefined) return 'no source metadata stored'
  const changes: string[] = []
  if (size !== String(entry.size)) changes.push(`size ${size} → ${entry.size}`)
  if (date !== entry.date) changes.push(`date ${date} → ${entry.date}`)
  if (changes.length === 0 && stored.size !== entry.size) changes.push(`stored copy has ${stored.size} bytes, listing ${entry.size}`)
  return changes.length > 0 ? changes.join(', ') : undefined
}

/**
 * Decide, from a survey's listing and what the store holds under its prefix (`bls/pr/` unless
 * given), which files to add, replace, delete or leave. Pure: no I/O.
 */
export function planFetch(listing: readonly ListingEntry[], stored: readonly StoredObject[], options: {force?: boolean; prefix?: string} = {}): FetchPlan {
  const storedByKey = new Map(stored.map((object) => [object.key, object]))
  const files: PlannedFile[] = listing.map((entry) => {
    const key = (options.prefix ?? BLS_PREFIX) + entry.name
    const current = storedByKey.get(key)
    storedByKey.delete(key)
    if (!current) return {key, action: 'add', reason: 'new in the listing', entry}
    // --force downloads every file again: the way back from a copy damaged where nothing shows it.
    const stale = options.force ? FORCED : staleness(entry, current)
    return stale ? {key, action: 'replace', reason: stale, entry, stored: current} : {key, action: 'unchanged', reason: 'listing size and date match', entry, stored: current}
  })
  for (const gone of storedByKey.values()) files.push({key: gone.key, action: 'delete', reason: 'gone from the listing', stored: gone})
  files.sort(byKey)
  const refusal = options.force
    ? undefined
    : deletionRefusal('the BLS listing', {available: listing.length, stored, deleting: files.flatMap((f) => (f.action === 'delete' ? [f.stored!] : []))})
  return refusal ? {files, refusal} : {files}
}

/** Whether the canonical population body differs from the stored copy. */
export function planPopulation(md5: string, stored: StoredObject | undefined): PlannedFile {
  if (!stored) return {key: POPULATION_KEY, action: 'add', reason: 'not stored yet', stored}
  return stored.md5 === md5
    ? {key: POPULATION_KEY, action: 'unchanged', reason: 'same canonical content', stored}
    : {key: POPULATION_KEY, action: 'replace', reason: 'content changed', stored}
}
