/** Refuses a deletion that looks like a broken source rather than a real change. */
export class DeletionGuardError extends Error {
  constructor(message: string) {
    super(`${message}; nothing was changed (force it if this is intended)`)
    this.name = 'DeletionGuardError'
  }
}

export interface DeletionCounts {
  /** Files the source offers (listing entries, source objects). */
  available: number
  /** Files the destination holds now. */
  stored: number
  /** Files the plan would delete. */
  deleting: number
}

/**
 * Why a plan must not run: the source yields no files, or the plan deletes more than half of what
 * is stored. Undefined when the plan looks sane.
 */
export function deletionRefusal(source: string, {available, stored, deleting}: DeletionCounts): string | undefined {
  if (available === 0) return `${source} yields no files; refusing to treat that as "everything was deleted"`
  if (deleting * 2 > stored) return `${source} would delete ${deleting} of the ${stored} stored files (more than half)`
  return undefined
}
