import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

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

export interface BuiltRun {
  code: number
  stdout: string
  stderr: string
  /** Every module file the process resolved, as a path. */
  loaded: string[]
}

/**
 * Run the built CLI as users do (bin/run.js on dist/, in a child process) with a resolve hook that
 * records each module it loads. `env` entries override this process's (undefined removes one);
 * colour is off unless they ask for it.
 */
export async function runBuilt(argv: string[], env: Record<string, string | undefined> = {}): Promise<BuiltRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dataquest-built-'))
  try {
    const trace = path.join(dir, 'loaded.txt')
    const hooks = path.join(dir, 'hooks.mjs')
    await writeFile(
      hooks,
      `import {appendFileSync} from 'node:fs'\nexport async function resolve(specifier, context, next) {\n  const resolved = await next(specifier, context)\n  appendFileSync(${JSON.stringify(trace)}, resolved.url + '\\n')\n  return resolved\n}\n`,
    )
    const register = `data:text/javascript,import {register} from 'node:module'; register(${encodeURIComponent(JSON.stringify(pathToFileURL(hooks).href))})`
    const result = await promisify(execFile)(process.execPath, ['--import', register, path.join(projectRoot, 'bin/run.js'), ...argv], {
      // Coverage of src/ comes from the tests' own process: the bundle's source maps give the same
      // functions other ranges, which tap would count twice (once uncovered).
      // A cache directory of its own: help kept by an earlier run would answer without loading oclif.
      env: {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, _TAPJS_PROCESSINFO_COVERAGE_: '0', XDG_CACHE_HOME: path.join(dir, 'cache'), ...env},
    }).then(
      ({stdout, stderr}) => ({code: 0, stdout, stderr}),
      (error: {code: number; stdout: string; stderr: string}) => ({code: error.code, stdout: error.stdout, stderr: error.stderr}),
    )
    const urls = existsSync(trace) ? (await readFile(trace, 'utf8')).split('\n').filter(Boolean) : []
    return {...result, loaded: [...new Set(urls.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url)))]}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
