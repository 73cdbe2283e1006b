import type {StoredObject} from '../stores/store.js'
import {byKey} from '../util/outcomes.js'
import {deletionRefusal} from './deletion-guard.js'

export type SyncAction = 'upload' | 'delete' | 'unchanged' | 'keep'

export interface PlannedCopy {
  key: string
  action: SyncAction
  reason: string
  /** The source's object (upload, unchanged) or the target's (delete, keep). */
  object: StoredObject
}

export interface SyncPlan {
  files: PlannedCopy[]
  /** Set when the deletion guard refuses the plan. */
  refusal?: string
}

export interface SyncPlanOptions {
  /** Delete target objects the source lacks (default true). */
  delete?: boolean
  /** Override the deletion guard. */
  force?: boolean
}

/** Why the target's copy differs from the source's, or undefined when the MD5s match. */
function difference(source: StoredObject, target: StoredObject): string | undefined {
  if (!source.md5 || !target.md5) return 'MD5 unknown on one side'
  return source.md5 === target.md5 ? undefined : `content differs (MD5 ${source.md5.slice(0, 8)}… ≠ ${target.md5.slice(0, 8)}…)`
}

/** Decide per key: upload, delete, or leave. Pure: compares the two listings' MD5s only. */
export function planSync(source: readonly StoredObject[], target: readonly StoredObject[], options: SyncPlanOptions = {}): SyncPlan {
  const deleting = options.delete ?? true
  const targetByKey = new Map(target.map((object) => [object.key, object]))
  const files: PlannedCopy[] = source.map((object) => {
    const existing = targetByKey.get(object.key)
    targetByKey.delete(object.key)
    const differs = existing ? difference(object, existing) : 'not in the target'
    return {key: object.key, action: differs ? 'upload' : 'unchanged', reason: differs ?? 'same MD5', object}
  })
  for (const extra of targetByKey.values()) {
    files.push({key: extra.key, object: extra, ...(deleting ? {action: 'delete', reason: 'not in the source'} : {action: 'keep', reason: 'not in the source (--no-delete)'})})
  }
  files.sort(byKey)
  // Unlike fetch, an empty source is only suspicious when it would empty a target.
  const deletes = files.flatMap((f) => (f.action === 'delete' ? [f.object] : []))
  const refusal = deletes.length > 0 && !options.force ? deletionRefusal('the source', {available: source.length, stored: target, deleting: deletes}) : undefined
  return refusal ? {files, refusal} : {files}
}
