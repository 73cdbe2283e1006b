// Node's compile cache: enabled only in a directory where Node can make its folder (Node 24.21
// spins forever otherwise), and the CLI works the same when it cannot be.
import {existsSync} from 'node:fs'
import {readdir, writeFile} from 'node:fs/promises'
import module from 'node:module'
import path from 'node:path'

import t from 'tap'

import {compileCacheDir, enableCompileCache} from '../src/cli/compile-cache.js'
import {removeTempDirs, tempDir} from './helpers/bls-files.js'
import {runBuilt as dataquest} from './helpers/cli.js'

t.teardown(removeTempDirs)

/** A directory that cannot be made: its parent is a regular file. */
async function unusableDir(): Promise<string> {
  const file = path.join(await tempDir(), 'a-file')
  await writeFile(file, '')
  return path.join(file, 'cache')
}

t.test('the directory: DATAQUEST_COMPILE_CACHE, else under XDG_CACHE_HOME, else ~/.cache', async (t) => {
  t.equal(compileCacheDir({DATAQUEST_COMPILE_CACHE: '/x/y'}, '/home/u'), '/x/y')
  t.equal(compileCacheDir({XDG_CACHE_HOME: '/c'}, '/home/u'), '/c/dataquest/compile-cache')
  t.equal(compileCacheDir({XDG_CACHE_HOME: ''}, '/home/u'), '/home/u/.cache/dataquest/compile-cache')
})

t.test('enabled in a directory it could create and write in; never handed a directory that fails', async (t) => {
  const calls: string[] = []
  const enable = (directory: string): void => void calls.push(directory)
  const dir = path.join(await tempDir(), 'new', 'cache')
  t.equal(enableCompileCache({DATAQUEST_COMPILE_CACHE: dir}, enable), dir)
  t.same(calls, [dir])
  t.same(await readdir(dir), [], 'created, and the probe folder removed')

  for (const bad of [await unusableDir(), '/proc/dataquest-no-such-dir']) {
    t.equal(enableCompileCache({DATAQUEST_COMPILE_CACHE: bad}, enable), undefined, bad)
  }
  t.equal(calls.length, 1, 'Node is not asked to use a directory that failed')
  // Node without a compile cache (20), or told by its own variables.
  t.equal(enableCompileCache({DATAQUEST_COMPILE_CACHE: dir}, null), undefined)
  t.equal(enableCompileCache({DATAQUEST_COMPILE_CACHE: dir, NODE_COMPILE_CACHE: dir}, enable), undefined)
  t.equal(enableCompileCache({DATAQUEST_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: '1'}, enable), undefined)
  t.equal(calls.length, 1)
})

t.test('the built CLI: a cache where it can, the same help and no hang where it cannot', async (t) => {
  const dir = path.join(await tempDir(), 'cache')
  const cached = await dataquest(['--help'], {DATAQUEST_COMPILE_CACHE: dir, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined})
  t.equal(cached.code, 0, cached.stderr)
  const hasCache = typeof (module as {enableCompileCache?: unknown}).enableCompileCache === 'function'
  if (hasCache) t.equal((await readdir(dir)).length, 1, "Node's cache folder written")
  else t.notOk(existsSync(dir), 'Node 20: no cache, nothing made')

  const bad = await unusableDir()
  const started = Date.now()
  const uncached = await dataquest(['--help'], {DATAQUEST_COMPILE_CACHE: bad, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined})
  t.equal(uncached.code, 0, uncached.stderr)
  t.equal(uncached.stdout, cached.stdout, 'the same help')
  t.equal(uncached.stderr, '')
  t.ok(Date.now() - started < 60_000, 'it returns')
  t.notOk(existsSync(bad))
})
