/** Helpers for the per-file plans and results of fetch and sync. */

/** Plans and summaries list files in key order; keys are unique within one. */
export const byKey = (a: {key: string}, b: {key: string}): number => (a.key < b.key ? -1 : 1)

/** How many of `files` plan each of `actions`. */
export function countActions<A extends string>(files: readonly {action: A}[], actions: readonly A[]): Record<A, number> {
  const counts = Object.fromEntries(actions.map((action) => [action, 0])) as Record<A, number>
  for (const file of files) counts[file.action]++
  return counts
}

/** How many of `files` carried out `action` without an error. */
export const succeeded = <A>(files: readonly {action: A; error?: string}[], action: A): number =>
  files.filter((file) => file.action === action && !file.error).length

/** Bytes written, over all files. */
export const bytesOf = (files: readonly {bytes?: number}[]): number => files.reduce((sum, file) => sum + (file.bytes ?? 0), 0)
