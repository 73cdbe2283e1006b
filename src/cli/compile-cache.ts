/**
 * Node's compile cache (Node 22.1+): V8's compiled code for the bundle is kept on disk, so a later
 * start skips parsing and compiling oclif's chunk. bin/run.js enables it before loading the CLI.
 * Node 24.21 spins forever when it cannot create its folder in the cache directory
 * (`NODE_COMPILE_CACHE=/proc/x node -e 0` never exits), so the directory is created and a folder
 * made and removed in it first: only a directory that passes is given to Node; otherwise the CLI
 * runs without the cache. Node 20 has no compile cache: nothing happens there. The directory is
 * made one level at a time: `mkdirSync(…, {recursive: true})` spins the same way (Node 20 and 24,
 * `/proc/x`: ENOENT under a parent that exists).
 */
import {existsSync, mkdirSync, mkdtempSync, rmdirSync} from 'node:fs'
import module from 'node:module'
import os from 'node:os'
import path from 'node:path'

type Enable = (directory: string) => unknown

/** The CLI's cache directory before oclif loads (oclif's cacheDir on Linux): `$XDG_CACHE_HOME/dataquest`, `~/.cache/dataquest` without it. */
export const cacheDir = (env: NodeJS.ProcessEnv, home = os.homedir()): string => path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'dataquest')

/** `DATAQUEST_COMPILE_CACHE`, else `compile-cache` in the cache directory. */
export function compileCacheDir(env: NodeJS.ProcessEnv, home = os.homedir()): string {
  return env.DATAQUEST_COMPILE_CACHE || path.join(cacheDir(env, home), 'compile-cache')
}

/** Make `directory` and its missing parents, each once; throws on the first that fails. */
export function makeDirectory(directory: string): void {
  const missing: string[] = []
  for (let dir = path.resolve(directory); !existsSync(dir); dir = path.dirname(dir)) missing.unshift(dir)
  for (const dir of missing) mkdirSync(dir)
}

/**
 * Enable the compile cache in `compileCacheDir(env)` when Node has one and the directory can hold
 * Node's folder; the directory it chose, or undefined (no cache: Node 20, `NODE_COMPILE_CACHE` or
 * `NODE_DISABLE_COMPILE_CACHE` set, which Node honours itself, or a directory that cannot be used).
 */
export function enableCompileCache(
  env: NodeJS.ProcessEnv,
  // null, not undefined, for "this Node has none": undefined would take the default.
  /* c8 ignore next -- which side of `??` runs depends on the Node: 22+ has a compile cache, 20 none */
  enable: Enable | null = (module as {enableCompileCache?: Enable}).enableCompileCache ?? null,
): string | undefined {
  if (!enable || env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return undefined
  const directory = compileCacheDir(env)
  try {
    makeDirectory(directory)
    // What Node will do: make a folder inside. Root passes permission checks, not this.
    rmdirSync(mkdtempSync(path.join(directory, '.probe-')))
  } catch {
    return undefined
  }
  enable(directory)
  return directory
}
