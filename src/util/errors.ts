/**
 * What went wrong, in the terms a caller acts on:
 * - `usage`: the request itself is wrong (a bad flag value or setting); the CLI exits 2;
 * - `input`: what was read (a raw file, a report, the population) is missing or malformed;
 * - `upstream`: BLS or DataUSA failed or refused;
 * - `store`: the store failed, is locked, or holds something other than expected;
 * - `partial`: part of the work failed and the rest was done; the error carries the summary.
 * Every kind but `usage` exits 1.
 */
export type ErrorKind = 'usage' | 'input' | 'upstream' | 'store' | 'partial'

/**
 * What would fix an error, as data, so the library never names a CLI flag: the settings, by their
 * flag name (without `--`), and the sentence, `{name}` marking each one. The CLI words it with its
 * flags (cli/errors.ts); a Lambda logs it as a field.
 */
export interface Hint {
  flag: string[]
  say: string
}

/** The one base of dataquest's errors: a kind, and a hint where one helps. */
export class DataquestError extends Error {
  readonly kind: ErrorKind
  readonly hint?: Hint

  constructor(kind: ErrorKind, message: string, options: ErrorOptions & {hint?: Hint} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.kind = kind
    if (options.hint) this.hint = options.hint
  }
}

/** The hint of an error, or of the error it wraps (a step's, a fetch's first cause with one). */
export function hintOf(error: unknown): Hint | undefined {
  if (!(error instanceof Error)) return undefined
  if (error instanceof DataquestError && error.hint) return error.hint
  return hintOf(error.cause)
}

/** A hint in words, each setting named by `setting` (`--name` on the command line). */
export const hintText = (hint: Hint, setting: (name: string) => string): string =>
  hint.say.replaceAll(/\{([\w-]+)\}/g, (_, name: string) => setting(name))
