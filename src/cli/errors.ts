import levenshtein from 'fast-levenshtein'

import {DataquestError, hintOf, hintText} from '../util/errors.js'

/** What a failed command prints: one line, the exit code, and the --json error object. */
export interface Failure {
  message: string
  exit: number
  json: Record<string, unknown>
}

/** The command a failure happened in: its bin, id and flag names (for usage hints and suggestions). */
export interface FailedCommand {
  bin: string
  id: string | undefined
  flags: Record<string, unknown>
}

// oclif's own bookkeeping on its errors, and the kind and hint the message and exit code already
// say; none of it is for the user (or a --json consumer).
const FRAMEWORK_KEYS = new Set(['oclif', 'parse', 'showHelp', 'skipOclifErrorHandling', 'suggestions', 'bang', 'ref', 'flags', 'args', 'kind', 'hint'])

/** A usage error exits 2 (as oclif's flag errors do), any other failure 1. */
export const exitCode = (error: unknown): number => (error instanceof DataquestError && error.kind === 'usage' ? 2 : 1)

/** An error's message with its hint (its own, or its cause's) in flag names: `…; set one with --contact …`. */
export function failureMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const hint = hintOf(error)
  return hint ? `${error.message}; ${hintText(hint, (flag) => `--${flag}`)}` : error.message
}

/** The closest candidate, when it is near enough to be what was meant. */
export function closest(target: string, candidates: readonly string[]): string | undefined {
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = levenshtein.get(target, candidate)
    if (!best || distance < best.distance) best = {candidate, distance}
  }
  // A third of the word may be wrong (`contcat` → `contact`), never more: `--x` suggests nothing.
  return best && best.distance <= Math.max(2, Math.floor(target.length / 3)) ? best.candidate : undefined
}

/**
 * oclif's messages span lines (`Parsing --bls-url \n\t…\nSee more help with --help`);
 * a terminal would also wrap them mid-phrase. Fold to one line, minus the generic help pointer.
 */
export function oneLine(message: string): string {
  return message
    .replace(/\s*See more help with --help\s*$/, '')
    .replace(/^Parsing (--\S+)\s*\n\s*/, '$1: ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ')
}

const flagSuggestion = (unknown: readonly string[], command: FailedCommand): string => {
  const names = Object.entries(command.flags).flatMap(([name, flag]) => ((flag as {allowNo?: boolean}).allowNo ? [name, `no-${name}`] : [name]))
  const suggestions = unknown.flatMap((given) => {
    const match = closest(given.replace(/^-+/, '').split('=')[0]!, names)
    return match ? [`--${match}`] : []
  })
  return suggestions.length > 0 ? `; did you mean ${suggestions.join(', ')}?` : ''
}

/** How a command's error reads: one line, a usage hint on usage errors, framework internals dropped. */
export function describeFailure(error: Error, command: FailedCommand): Failure {
  const {oclif, flags, parse} = error as {oclif?: {exit?: number}; flags?: unknown; parse?: unknown}
  const exit = oclif?.exit ?? exitCode(error)
  let message = oneLine(oclif ? error.message : failureMessage(error))
  // oclif's parse errors carry `parse`; their exit code (2) marks our own usage errors too.
  if (parse !== undefined || exit === 2) {
    if (Array.isArray(flags)) message += flagSuggestion(flags as string[], command)
    message += `; see \`${[command.bin, command.id, '--help'].filter(Boolean).join(' ')}\``
  }
  const details = Object.fromEntries(Object.entries(error).filter(([key]) => !FRAMEWORK_KEYS.has(key)))
  return {message, exit, json: {...details, name: error.name, message}}
}
