import type {StoredObject} from '../stores/store.js'
import {byKey} from '../util/outcomes.js'
import type {KeyFilter} from './filter.js'
import {guardRefusal, maxDeleteRefusal} from './guard.js'
import {writtenByDataquest} from './metadata.js'

/** One key of two listings paired: on the source's side only, the target's only, or both. */
export interface Pair<S> {
  key: string
  source?: S
  target?: StoredObject
}

/**
 * Pair two listings by key in one pass over both, sorted (as rclone's march): each key once,
 * with what each side holds. The inputs are sorted here, not trusted to be.
 */
export function march<S>(source: readonly S[], target: readonly StoredObject[], keyOf: (item: S) => string): Pair<S>[] {
  const sources = source.map((item) => ({key: keyOf(item), item})).sort(byKey)
  const targets = [...target].sort(byKey)
  const pairs: Pair<S>[] = []
  let [i, j] = [0, 0]
  while (i < sources.length || j < targets.length) {
    const [s, t] = [sources[i], targets[j]]
    if (t === undefined || (s !== undefined && s.key < t.key)) pairs.push({key: s!.key, source: sources[i++]!.item})
    else if (s === undefined || t.key < s.key) pairs.push({key: t.key, target: targets[j++]})
    else pairs.push({key: s.key, source: sources[i++]!.item, target: targets[j++]})
  }
  return pairs
}

/** What a plan does with a key. `keep`: a target-only object left in place; `exclude`: filtered out. */
export type MirrorAction = 'add' | 'replace' | 'delete' | 'unchanged' | 'keep' | 'exclude'
export const MIRROR_ACTIONS: readonly MirrorAction[] = ['add', 'replace', 'delete', 'unchanged', 'keep', 'exclude']

export interface PlannedFile<S> extends Pair<S> {
  action: MirrorAction
  /** Why, in a few words (shown in --dry-run and the summary). */
  reason: string
}

export interface MirrorPlan<S> {
  files: PlannedFile<S>[]
  /** Set when the plan is refused as a whole (the guard, or more deletions than allowed). */
  refusal?: {reason: string; forcible: boolean}
}

/** A command's part of a mirror: where a source item goes, its size, and its "does this differ?" rule. */
export interface MirrorRule<S> {
  keyOf(item: S): string
  sizeOf(item: S): number
  /** Why the target's copy differs from the source item, or undefined when it is current. */
  differs(item: S, target: StoredObject): string | undefined
  /** The words of its plan: the source's name, why a key is added, and why one is left or deleted. */
  words: {source: string; add: string; same: string; gone: string}
  /** A source of no files is refused even when nothing would be deleted. */
  refuseEmpty?: boolean
}

/**
 * Which target objects the source lacks are deleted: none (`--no-delete`), only those dataquest
 * wrote (others are kept, and said so), or all.
 */
export type DeleteMode = 'none' | 'own' | 'all'

export interface MirrorOptions {
  deletes: DeleteMode
  /** Lift the guard (not maxDelete). */
  force?: boolean
  /** Refuse a plan deleting more objects than this. */
  maxDelete?: number
  /** Keys left out on both sides: neither copied nor deleted. */
  filter?: KeyFilter
}

const KEEP_REASON: Record<Exclude<DeleteMode, 'all'>, string> = {
  none: 'not in the source (--no-delete)',
  own: 'not in the source; not written by dataquest',
}

function decide<S>({key, source, target}: Pair<S>, rule: MirrorRule<S>, options: MirrorOptions): PlannedFile<S> {
  const excluded = options.filter?.excludedBy(key)
  const pair = {key, ...(source === undefined ? {} : {source}), ...(target ? {target} : {})}
  if (excluded) return {...pair, action: 'exclude', reason: `excluded by ${excluded.pattern}`}
  if (source === undefined) {
    const {deletes} = options
    if (deletes === 'all' || (deletes === 'own' && writtenByDataquest(target!))) return {...pair, action: 'delete', reason: rule.words.gone}
    return {...pair, action: 'keep', reason: KEEP_REASON[deletes]}
  }
  if (!target) return {...pair, action: 'add', reason: rule.words.add}
  const differs = rule.differs(source, target)
  return differs ? {...pair, action: 'replace', reason: differs} : {...pair, action: 'unchanged', reason: rule.words.same}
}

/**
 * Plan a mirror of `source` onto `target`: pair them, let the rule decide each key, then weigh the
 * whole plan (the guard, unless forced; the deletion limit, always). Pure: no I/O.
 */
export function planMirror<S>(source: readonly S[], target: readonly StoredObject[], rule: MirrorRule<S>, options: MirrorOptions): MirrorPlan<S> {
  const files = march(source, target, (item) => rule.keyOf(item)).map((pair) => decide(pair, rule, options))
  const inScope = files.filter((file) => file.action !== 'exclude')
  const sum = (sizes: number[]): number => sizes.reduce((total, size) => total + size, 0)
  const stored = inScope.flatMap((file) => (file.target ? [file.target.size] : []))
  const deleted = inScope.flatMap((file) => (file.action === 'delete' ? [file.target!.size] : []))
  // What the target holds afterwards: kept and unchanged objects as they are, written ones at their source size.
  const after = inScope.flatMap((file) => (file.action === 'delete' ? [] : file.action === 'add' || file.action === 'replace' ? [rule.sizeOf(file.source!)] : [file.target!.size]))
  const overLimit = maxDeleteRefusal(deleted.length, options.maxDelete)
  if (overLimit) return {files, refusal: {reason: overLimit, forcible: false}}
  if (options.force) return {files}
  const reason = guardRefusal({
    source: rule.words.source,
    available: source.length,
    refuseEmpty: rule.refuseEmpty ?? false,
    storedFiles: stored.length,
    storedBytes: sum(stored),
    deletes: deleted.length,
    deletedBytes: sum(deleted),
    bytesAfter: sum(after),
  })
  return reason ? {files, refusal: {reason, forcible: true}} : {files}
}
