import {type MirrorOptions, type MirrorPlan, type MirrorRule, planMirror} from '../mirror/march.js'
import type {StoredObject} from '../stores/store.js'

/** As a mirror's, deleting only what dataquest wrote unless told otherwise. */
export type SyncPlanOptions = Omit<MirrorOptions, 'deletes'> & Partial<Pick<MirrorOptions, 'deletes'>>

/** Why the target's copy differs from the source's, or undefined when the MD5s match. */
function difference(source: StoredObject, target: StoredObject): string | undefined {
  if (!source.md5 || !target.md5) return 'MD5 unknown on one side'
  return source.md5 === target.md5 ? undefined : `content differs (MD5 ${source.md5.slice(0, 8)}… ≠ ${target.md5.slice(0, 8)}…)`
}

/** sync's rule: the two stores' MD5s, nothing else. */
const md5Rule: MirrorRule<StoredObject> = {
  keyOf: (object) => object.key,
  sizeOf: (object) => object.size,
  differs: difference,
  // Unlike a listing, an empty source is only suspicious when it would empty a target.
  words: {source: 'the source', add: 'not in the target', same: 'same MD5', gone: 'not in the source'},
}

/**
 * Decide per key: copy, delete, keep or leave. Deletes only what dataquest wrote unless told
 * otherwise (`deletes`, default `own`). Pure: compares the two listings' MD5s only.
 */
export function planSync(source: readonly StoredObject[], target: readonly StoredObject[], options: SyncPlanOptions = {}): MirrorPlan<StoredObject> {
  return planMirror(source, target, md5Rule, {...options, deletes: options.deletes ?? 'own'})
}
