// Issue 19, item 18: a build never leaves dist/ missing a file that a running CLI imports, and
// does not rebuild when nothing changed (scripts/build.mjs).
import {execFile, spawn} from 'node:child_process'
import {mkdtemp, readFile, stat} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import t from 'tap'

import {projectRoot} from './helpers/cli.js'

const run = promisify(execFile)
// Coverage of src/ comes from the tests' own process: the bundle's source maps give the same
// functions other ranges, which tap would count twice (once uncovered).
const env = {...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0'}

/** One CLI run that loads a command and its chunks: `report` on an empty folder (exit 1, a known message). */
async function reportOnEmpty(folder: string): Promise<string> {
  try {
    await run(process.execPath, [path.join(projectRoot, 'bin/run.js'), 'report', '--processed', folder], {env})
    return 'exit 0'
  } catch (error) {
    return String((error as {stderr?: string}).stderr)
  }
}

t.test('CLI runs during a build all find their modules; an unchanged tree is not rebuilt', async (t) => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'dataquest-build-'))
  const build = spawn(process.execPath, [path.join(projectRoot, 'scripts/build.mjs'), '--force'], {stdio: 'ignore', env})
  const built = new Promise<number | null>((resolve) => build.on('exit', resolve))
  let building = true
  void built.then(() => (building = false))
  const outcomes: string[] = []
  // Two CLI loops beside the build, as `npx dataquest` in two terminals during `npm test`.
  await Promise.all(
    [0, 1].map(async () => {
      do outcomes.push(await reportOnEmpty(folder))
      while (building)
    }),
  )
  t.equal(await built, 0, 'the build succeeded')
  t.ok(outcomes.length >= 2, `${outcomes.length} runs during the build`)
  for (const outcome of outcomes) t.match(outcome, /^Error: no population_stats\.json, /, 'a run that found every module')

  const stamp = path.join(projectRoot, 'dist/.build.json')
  const before = (await stat(stamp)).mtimeMs
  const manifest = (await stat(path.join(projectRoot, 'oclif.manifest.json'))).mtimeMs
  const again = await run(process.execPath, [path.join(projectRoot, 'scripts/build.mjs')], {env})
  t.equal(again.stdout, 'dist/ is up to date\n')
  t.equal((await stat(stamp)).mtimeMs, before, 'nothing rewritten')
  t.equal((await stat(path.join(projectRoot, 'oclif.manifest.json'))).mtimeMs, manifest)
  const {files} = JSON.parse(await readFile(stamp, 'utf8')) as {files: string[]}
  t.ok(files.includes('cli/main.js') && files.includes('commands/report.js'), 'the stamp lists the build')
})
