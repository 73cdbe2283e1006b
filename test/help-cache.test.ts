import {mkdir, mkdtemp, readdir, utimes, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

import {Config} from '@oclif/core'

import CachedHelp from '../src/cli/help.js'
import {cachedHelp, helpCacheFile, keepHelp} from '../src/cli/help-cache.js'
import {projectRoot, setEnv} from './helpers/cli.js'

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-help-'))
const pipe = {isTTY: false}

t.test('a help request has a cache file that depends on all its inputs', async (t) => {
  const home = await tempDir()
  const env = {XDG_CACHE_HOME: path.join(home, 'cache'), TERM: 'xterm'}
  const file = helpCacheFile(projectRoot, ['--help'], env, pipe, home)!
  t.match(file, new RegExp(`^${path.join(home, 'cache', 'dataquest', 'help')}/[0-9a-f]{32}\\.txt$`))
  t.equal(helpCacheFile(projectRoot, ['--help'], {...env, PWD: '/elsewhere', SHLVL: '3', _TAPJS_PROCESSINFO_ID: 'x', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 't', AWS_ACCESS_KEY_ID: 'k'}, pipe, home), file, 'the working folder, a shell\'s depth, a runner\'s ids, AWS credentials do not count')
  const others = [
    helpCacheFile(projectRoot, ['report', '--help'], env, pipe, home),
    helpCacheFile(projectRoot, ['-h'], env, pipe, home),
    helpCacheFile(projectRoot, [], env, pipe, home),
    helpCacheFile(projectRoot, ['--help'], {...env, NO_COLOR: '1'}, pipe, home),
    helpCacheFile(projectRoot, ['--help'], {...env, DATAQUEST_PROCESSED: 's3://b/p'}, pipe, home),
    helpCacheFile(projectRoot, ['--help'], env, {isTTY: true, columns: 120}, home),
    helpCacheFile(projectRoot, ['--help'], env, {isTTY: true, columns: 100}, home),
  ]
  t.equal(new Set([file, ...others]).size, 8, 'arguments, environment, terminal and width each make another entry')
  t.not(helpCacheFile(projectRoot, ['--help'], {...env, XDG_DATA_HOME: path.join(home, 'data')}, pipe, home), file, 'plugins looked for under XDG_DATA_HOME')
  // User plugins change the help: their manifest counts.
  await mkdir(path.join(home, '.local/share/dataquest'), {recursive: true})
  await writeFile(path.join(home, '.local/share/dataquest/package.json'), '{"oclif": {"plugins": ["x"]}}')
  t.not(helpCacheFile(projectRoot, ['--help'], env, pipe, home), file, 'a user plugin installed')

  for (const argv of [['transform'], ['help', 'report'], ['transform', '--raw', 'x', '--help'], ['Report', '--help'], ['--version']]) {
    t.equal(helpCacheFile(projectRoot, argv, env, pipe, home), undefined, `${argv.join(' ')}: not a help request alone`)
  }
  t.equal(helpCacheFile(home, ['--help'], env, pipe, home), undefined, 'not a build of scripts/build.mjs: no cache')
})

t.test('kept whole, read back, the oldest dropped beyond 100; an unusable directory is no cache', async (t) => {
  const home = await tempDir()
  const file = (i: number): string => path.join(home, 'help', `${String(i).padStart(32, '0')}.txt`)
  t.equal(cachedHelp(file(0)), undefined)
  t.equal(cachedHelp(undefined), undefined)
  keepHelp(undefined, 'ignored')
  keepHelp(file(0), 'USAGE\n  $ dataquest\n')
  t.equal(cachedHelp(file(0)), 'USAGE\n  $ dataquest\n')
  for (let i = 1; i <= 100; i++) {
    keepHelp(file(i), `help ${i}`)
    // Distinct ages, the first the oldest.
    await utimes(file(i), new Date(1e12 + i * 1000), new Date(1e12 + i * 1000))
  }
  await utimes(file(0), new Date(1e12), new Date(1e12))
  keepHelp(file(101), 'help 101')
  const names = await readdir(path.join(home, 'help'))
  t.equal(names.length, 100)
  t.notOk(names.includes(path.basename(file(0))), 'the oldest went')
  t.notOk(names.includes(path.basename(file(1))), 'and the next')
  t.ok(names.includes(path.basename(file(101))), 'the new one stays')
  t.notOk(names.some((name) => name.endsWith('.tmp')), 'no temp file left')

  const blocked = path.join(home, 'a-file')
  await writeFile(blocked, '')
  keepHelp(path.join(blocked, 'help', 'x.txt'), 'text')
  t.equal(cachedHelp(path.join(blocked, 'help', 'x.txt')), undefined, 'a cache under a regular file: none, and no error')
})

t.test('the help class prints oclif\'s help and keeps exactly what it printed', async (t) => {
  const cache = await tempDir()
  const saved = setEnv({XDG_CACHE_HOME: cache})
  const argv = process.argv
  process.argv = [argv[0]!, path.join(projectRoot, 'bin/run.js'), 'report', '--help']
  const printed: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0) as typeof process.stdout.write
  try {
    await new CachedHelp(await Config.load(projectRoot)).showHelp(['report'])
  } finally {
    process.stdout.write = write
    process.argv = argv
  }
  const file = helpCacheFile(projectRoot, ['report', '--help'], process.env, process.stdout)
  setEnv(saved)
  t.match(printed.join(''), /^USAGE\n {2}\$ dataquest report /m)
  t.equal(cachedHelp(file), printed.join(''), 'kept as printed')
})
