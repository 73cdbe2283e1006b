import type {ListingEntry} from '../sources/bls.js'
import {BLS_PREFIX, POPULATION_KEY} from '../stores/raw-layout.js'
import type {StoredObject} from '../stores/store.js'
import {type MirrorOptions, type MirrorPlan, type MirrorRule, type PlannedFile, planMirror} from '../mirror/march.js'
import {SOURCE_META} from '../mirror/metadata.js'

export {SOURCE_META} from '../mirror/metadata.js'

export type FetchPlan = MirrorPlan<ListingEntry>
export type PlannedFetch = PlannedFile<ListingEntry>

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

/** The reason of a replacement asked for (fetch --force): downloaded whole, unconditionally. */
export const FORCED = 'forced (--force)'

/** fetch's rule: a survey's listing entries against what the store holds under its prefix. */
const listingRule = (prefix: string, force = false): MirrorRule<ListingEntry> => ({
  keyOf: (entry) => prefix + entry.name,
  sizeOf: (entry) => entry.size,
  // --force downloads every file again: the way back from a copy damaged where nothing shows it.
  differs: force ? () => FORCED : staleness,
  words: {source: 'the BLS listing', add: 'new in the listing', same: 'listing size and date match', gone: 'gone from the listing'},
  // A listing always has files: none is a broken listing, whatever the store holds.
  refuseEmpty: true,
})

/**
 * Decide, from a survey's listing and what the store holds under its prefix (`bls/pr/` unless
 * given), which files to add, replace, delete or leave. Everything under the prefix is the
 * survey's mirror, so whatever the listing lacks is deleted. Pure: no I/O.
 */
export function planFetch(
  listing: readonly ListingEntry[],
  stored: readonly StoredObject[],
  options: Omit<MirrorOptions, 'deletes'> & {prefix?: string} = {},
): FetchPlan {
  return planMirror(listing, stored, listingRule(options.prefix ?? BLS_PREFIX, options.force), {...options, deletes: 'all'})
}

/** Whether the canonical population body differs from the stored copy. */
export function planPopulation(md5: string, stored: StoredObject | undefined): PlannedFile<never> {
  if (!stored) return {key: POPULATION_KEY, action: 'add', reason: 'not stored yet'}
  return stored.md5 === md5
    ? {key: POPULATION_KEY, action: 'unchanged', reason: 'same canonical content', target: stored}
    : {key: POPULATION_KEY, action: 'replace', reason: 'content changed', target: stored}
}
