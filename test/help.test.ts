import {execFile} from 'node:child_process'
import path from 'node:path'
import {promisify} from 'node:util'

import {Config, Help} from '@oclif/core'
import t from 'tap'

import Consume from '../src/commands/consume.js'
import Fetch from '../src/commands/fetch.js'
import Report from '../src/commands/report.js'
import Run from '../src/commands/run.js'
import Sync from '../src/commands/sync.js'
import Transform from '../src/commands/transform.js'
import {projectRoot} from './helpers/cli.js'

const commands = {consume: Consume, fetch: Fetch, report: Report, run: Run, sync: Sync, transform: Transform}

/** The formatted help of one command, as `dataquest <id> --help` prints it. */
class CapturingHelp extends Help {
  text = ''
  protected override log(...args: string[]): void {
    this.text += `${args.join(' ')}\n`
  }
}

// The environment variables of DESIGN.md's flag table, by flag.
const ENV: Record<string, string> = {
  raw: 'DATAQUEST_RAW',
  processed: 'DATAQUEST_PROCESSED',
  bucket: 'DATAQUEST_BUCKET',
  contact: 'DATAQUEST_CONTACT',
  survey: 'DATAQUEST_SURVEY',
  'bls-root': 'DATAQUEST_BLS_ROOT',
  'bls-url': 'DATAQUEST_BLS_URL',
  'population-url': 'DATAQUEST_POPULATION_URL',
  queue: 'DATAQUEST_QUEUE_URL',
  endpoint: 'AWS_ENDPOINT_URL',
}

t.test('every command documents every flag, with its env var and default', async (t) => {
  const config = await Config.load(projectRoot)
  for (const [id, command] of Object.entries(commands)) {
    const help = new CapturingHelp(config)
    await help.showCommandHelp(Object.assign(command, {id}) as never)
    // Help wraps at the terminal width: compare with the line breaks folded.
    const text = help.text.replace(/\s+/g, ' ')
    t.match(text, `$ dataquest ${id}`, `${id}: usage`)
    t.match(text, 'EXAMPLES', `${id}: examples`)
    for (const [name, flag] of Object.entries(command.flags as Record<string, {description?: string; default?: unknown}>)) {
      t.match(text, `--${name}`, `${id} --${name} is listed`)
      t.ok(flag.description, `${id} --${name} is described`)
      if (ENV[name]) t.match(text, ENV[name], `${id} --${name} names ${ENV[name]}`)
      if (typeof flag.default === 'string' || typeof flag.default === 'number') {
        t.match(text, String(flag.default).slice(0, 20), `${id} --${name} shows its default`)
      }
    }
  }
})

t.test('`dataquest --help` lists every command (the real entry point, from the sources)', async (t) => {
  const {stdout} = await promisify(execFile)(path.join(projectRoot, 'bin/dev.js'), ['--help'], {
    // The child runs under tsx, whose coverage would confuse tap's own mapping.
    env: {...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0'},
  })
  for (const id of Object.keys(commands)) t.match(stdout, new RegExp(`^\\s+${id}\\s+\\S`, 'm'), `${id} is listed`)
})
