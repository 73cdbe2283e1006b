import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

let config: Config | undefined

/** Set environment variables (undefined removes one); returns their previous values, to set back. */
export function setEnv(values: Record<string, string | undefined>): Record<string, string | undefined> {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]))
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  return previous
}

export interface CommandResult {
  stdout: string
  stderr: string
  /** 0 on success; the oclif exit code otherwise. */
  exitCode: number
  error?: Error
}

/**
 * Run a command class in this process (so coverage sees src/), capturing stdout and stderr.
 * `env` entries are set for the duration of the run (undefined removes one). stdout is not a TTY.
 */
export async function runCommand(
  command: {run(this: unknown, argv: string[], config: Config): Promise<unknown>},
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<CommandResult> {
  config ??= await Config.load(projectRoot)
  const saved = setEnv(env)
  const out: string[] = []
  const err: string[] = []
  const writeOut = process.stdout.write
  const writeErr = process.stderr.write
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write
  let exitCode: number
  let error: Error | undefined
  // With --json, oclif reports a failure by setting process.exitCode instead of throwing.
  const savedExitCode = process.exitCode
  process.exitCode = undefined
  try {
    await command.run(argv, config)
    exitCode = Number(process.exitCode ?? 0)
  } catch (caught) {
    error = caught as Error
    const oclif = (caught as {oclif?: {exit?: number}}).oclif
    exitCode = oclif?.exit ?? 1
    // An ExitError (code EEXIT) follows a message the command printed itself.
    if (exitCode !== 0 && (caught as {code?: string}).code !== 'EEXIT') err.push(`${(caught as Error).message}\n`)
  } finally {
    process.exitCode = savedExitCode
    process.stdout.write = writeOut
    process.stderr.write = writeErr
    setEnv(saved)
  }
  return {stdout: out.join(''), stderr: err.join(''), exitCode, error}
}
