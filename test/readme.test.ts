import {execFile} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import t from 'tap'

import {projectRoot} from './helpers/cli.js'

const run = promisify(execFile)
// No coverage from the child: oclif loads the bundled commands, whose source maps tap would count twice.
const check = (): Promise<unknown> =>
  run(process.execPath, [path.join(projectRoot, 'scripts/readme.mjs'), '--check'], {cwd: projectRoot, env: {...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0'}})

t.test('README.md and docs/commands.md carry the command reference the commands generate', async (t) => {
  await t.resolves(check(), 'npm run readme leaves them unchanged')
  const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8')
  const manifest = JSON.parse(await readFile(path.join(projectRoot, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
  for (const id of Object.keys(manifest.commands)) t.match(readme, `[\`dataquest ${id}\`](docs/commands.md#dataquest-${id})`, `${id} is listed`)
})

t.test('a stale reference is caught', async (t) => {
  const file = path.join(projectRoot, 'docs/commands.md')
  const text = await readFile(file, 'utf8')
  await writeFile(file, text.replace(/## `dataquest fetch`[^]*?## /, '## '))
  try {
    const failure = await check().then(() => undefined, (error: unknown) => error as {stderr: string})
    t.match(failure?.stderr, /stale command reference in docs\/commands\.md: run `npm run readme`/)
  } finally {
    await writeFile(file, text)
  }
})

t.test('the README speaks to users: no development-machine talk, nothing read outside the repository', async (t) => {
  const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8')
  t.notMatch(readme, /\bsessions?\b|this (shared )?(two-core )?machine|load average/i)
  t.notMatch(readme, /\.\.\/shared/)
  t.ok(readme.split('\n').length <= 300, 'at most 300 lines')
})
