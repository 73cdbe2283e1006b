// oclif's own plugins for the conventions oclif CLIs share: `dataquest version` (@oclif/plugin-version)
// and `dataquest autocomplete` (@oclif/plugin-autocomplete). They load only when run: `--help`
// reads their package.json and manifest, and imports none of their modules.
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import t from 'tap'

import {removeTempDirs, tempDir} from './helpers/bls-files.js'
import {projectRoot, runBuilt} from './helpers/cli.js'

t.teardown(removeTempDirs)

const fromPlugin = (loaded: string[]): string[] => loaded.filter((file) => /node_modules\/@oclif\/plugin-(version|autocomplete)\//.test(file))

t.test('--help lists version and autocomplete but loads neither plugin', async (t) => {
  const help = await runBuilt(['--help'])
  t.equal(help.code, 0, help.stderr)
  t.match(help.stdout, /^ {2}autocomplete +Display autocomplete installation instructions\./m)
  t.match(help.stdout, /^ {2}version\b/m)
  t.same(fromPlugin(help.loaded), [], 'no plugin module imported')
})

t.test('dataquest version (--verbose)', async (t) => {
  const {version} = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {version: string}
  const plain = await runBuilt(['version'])
  t.equal(plain.code, 0, plain.stderr)
  t.equal(plain.stdout, `dataquest/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
  t.not(fromPlugin(plain.loaded).length, 0, 'the version plugin runs it')
  const verbose = await runBuilt(['version', '--verbose'])
  t.equal(verbose.code, 0, verbose.stderr)
  t.match(verbose.stdout, /CLI Version:\s+dataquest\/\d/)
  t.match(verbose.stdout, new RegExp(`Node Version:\\s+node-${process.version.replaceAll('.', '\\.')}`))
})

t.test('dataquest autocomplete bash: instructions, and a completion script of our commands and flags', async (t) => {
  const home = await tempDir()
  const env = {HOME: home, XDG_CACHE_HOME: undefined}
  const setup = await runBuilt(['autocomplete', 'bash'], env)
  t.equal(setup.code, 0, setup.stderr)
  t.match(setup.stdout, 'dataquest autocomplete script bash')
  const script = await runBuilt(['autocomplete', 'script', 'bash'], env)
  t.equal(script.code, 0, script.stderr)
  t.match(script.stdout, /DATAQUEST_AC_BASH_SETUP_PATH=.*autocomplete\/bash_setup/)
  const completion = await readFile(path.join(home, '.cache/dataquest/autocomplete/functions/bash/dataquest.bash'), 'utf8')
  t.match(completion, /report --json --processed --bucket --endpoint --region --profile --format --only --limit --output/, 'report and its flags complete')
  t.match(completion, /\btransform\b/)
})
