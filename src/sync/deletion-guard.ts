import type {StoredObject} from '../stores/store.js'
import {DataquestError} from '../util/errors.js'

/** Refuses a deletion that looks like a broken source rather than a real change. */
export class DeletionGuardError extends DataquestError {
  constructor(message: string) {
    super('input', `${message}; nothing was changed (force it if this is intended)`)
    this.name = 'DeletionGuardError'
  }
}

export interface DeletionCounts {
  /** Files the source offers (listing entries, source objects). */
  available: number
  /** What the destination holds now. */
  stored: readonly StoredObject[]
  /** What the plan would delete. */
  deleting: readonly StoredObject[]
}

const bytesOf = (objects: readonly StoredObject[]): number => objects.reduce((sum, object) => sum + object.size, 0)

/**
 * Why a plan must not run: the source yields no files, or the plan deletes more than half of the
 * stored files or of their bytes (losing the two big data files of a listing is a broken listing,
 * though they are only two files). Undefined when the plan looks sane.
 */
export function deletionRefusal(source: string, {available, stored, deleting}: DeletionCounts): string | undefined {
  if (available === 0) return `${source} yields no files; refusing to treat that as "everything was deleted"`
  if (deleting.length * 2 > stored.length) return `${source} would delete ${deleting.length} of the ${stored.length} stored files (more than half)`
  const [gone, held] = [bytesOf(deleting), bytesOf(stored)]
  if (gone * 2 > held) return `${source} would delete ${gone} of the ${held} stored bytes (more than half, in ${deleting.length} of ${stored.length} files)`
  return undefined
}
