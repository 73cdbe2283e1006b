/**
 * A plan refused as a whole, nothing carried out: it looks like a broken source rather than a real
 * change (forcing lifts that), or it deletes more than the caller allows (forcing does not).
 */
export class GuardError extends Error {
  constructor(message: string, {forcible = true} = {}) {
    super(`${message}; nothing was changed${forcible ? ' (force it if this is intended)' : ''}`)
    this.name = 'GuardError'
  }
}

/** Why a plan that deletes `deletes` objects exceeds the caller's limit, or undefined. */
export const maxDeleteRefusal = (deletes: number, max: number | undefined): string | undefined =>
  max !== undefined && deletes > max ? `the plan would delete ${deletes} files, more than the ${max} allowed` : undefined

/** What a plan does to the target's bytes, as the guard weighs it. */
export interface GuardInput {
  /** How the source is named in a refusal ("the BLS listing", "the source"). */
  source: string
  /** Files the source offers (before any filter: a filter is no sign of a broken source). */
  available: number
  /** Whether a source of no files is refused even when nothing would be deleted (a listing always has files). */
  refuseEmpty: boolean
  /** Target objects in the plan's scope (not filtered out): files and bytes before the plan. */
  storedFiles: number
  storedBytes: number
  /** Objects the plan deletes and their bytes. */
  deletes: number
  deletedBytes: number
  /** Stored bytes once the plan is carried out. */
  bytesAfter: number
}

/**
 * Why a plan must not run: the source yields no files; the plan deletes more than half of the
 * stored files or of their bytes (losing the two big data files of a listing is a broken listing,
 * though they are only two files); or, deletions and replacements together, it leaves less than
 * half of the stored bytes (a listing that serves every file empty). Undefined when it looks sane.
 */
export function guardRefusal(input: GuardInput): string | undefined {
  const {source, available, storedFiles, storedBytes, deletes, deletedBytes, bytesAfter} = input
  if (available === 0 && (input.refuseEmpty || deletes > 0)) return `${source} yields no files; refusing to treat that as "everything was deleted"`
  if (deletes * 2 > storedFiles) return `${source} would delete ${deletes} of the ${storedFiles} stored files (more than half)`
  if (deletedBytes * 2 > storedBytes) return `${source} would delete ${deletedBytes} of the ${storedBytes} stored bytes (more than half, in ${deletes} of ${storedFiles} files)`
  if (bytesAfter * 2 < storedBytes) return `${source} would shrink the stored bytes from ${storedBytes} to ${bytesAfter} (less than half left)`
  return undefined
}
