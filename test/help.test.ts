import {execFile} from 'node:child_process'
import path from 'node:path'
import {promisify} from 'node:util'

import {Config, Help} from '@oclif/core'
import t from 'tap'

import Consume from '../src/commands/consume.js'
import Fetch from '../src/commands/fetch.js'
import Query from '../src/commands/query.js'
import Report from '../src/commands/report.js'
import Run from '../src/commands/run.js'
import Sync from '../src/commands/sync.js'
import Transform from '../src/commands/transform.js'
import {projectRoot, runBuilt as dataquest} from './helpers/cli.js'

const commands = {consume: Consume, fetch: Fetch, query: Query, report: Report, run: Run, sync: Sync, transform: Transform}

/** The formatted help of one command, as `dataquest <id> --help` prints it. */
class CapturingHelp extends Help {
  text = ''
  protected override log(...args: string[]): void {
    this.text += `${args.join(' ')}\n`
  }
}

// The environment variables of docs/DESIGN.md's flag table, by flag.
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

t.test('help and mistakes, through the real entry point', async (t) => {
  const [short, commandShort, helpCommand, misspeltCommand, misspeltFlag, badUrl, failure] = await Promise.all([
    dataquest(['-h']),
    dataquest(['fetch', '-h']),
    dataquest(['help', 'fetch']),
    dataquest(['fecth']),
    dataquest(['fetch', '--contcat', 'me@example.com']),
    dataquest(['fetch', '--contact', 'me@example.com', '--bls-url', 'ftp://example.com/pr/']),
    // A narrow terminal width would wrap oclif's own error printer mid-phrase.
    dataquest(['report', '--processed', path.join(projectRoot, 'test', 'no-such-store')], {COLUMNS: '40', FORCE_COLOR: '1', NO_COLOR: undefined}), // colour forced: still none in the error line
  ])
  t.equal(short.code, 0, '-h works')
  t.match(short.stdout, /^\s+fetch\s+\S/m)
  t.equal(commandShort.code, 0, 'fetch -h works')
  t.match(commandShort.stdout, '--contact=EMAIL')
  t.equal(helpCommand.code, 0, 'help fetch works')
  t.equal(helpCommand.stdout, commandShort.stdout, 'help fetch is fetch --help')
  t.equal(misspeltCommand.code, 127)
  t.equal(misspeltCommand.stderr, 'Error: `fecth` is not a dataquest command; did you mean `dataquest fetch`? see `dataquest --help`\n')
  t.equal(misspeltFlag.code, 2)
  t.equal(misspeltFlag.stderr, 'Error: Nonexistent flag: --contcat; did you mean --contact?; see `dataquest fetch --help`\n', 'one line, no usage')
  t.equal(badUrl.code, 2)
  t.equal(badUrl.stderr, 'Error: --bls-url: "ftp://example.com/pr/" is not an http:// or https:// URL; see `dataquest fetch --help`\n')
  t.equal(failure.code, 1)
  t.match(failure.stderr, /^Error: no population_stats\.json, .* run `dataquest transform` first\n$/, 'one unwrapped line, no ANSI')
})

t.test('help says true things per command', async (t) => {
  const config = await Config.load(projectRoot)
  const helpOf = async (id: keyof typeof commands): Promise<string> => {
    const help = new CapturingHelp(config)
    await help.showCommandHelp(Object.assign(commands[id], {id}) as never)
    return help.text.replace(/\s+/g, ' ')
  }
  const [fetch = '', report = '', transform = '', consume = '', run = ''] = await Promise.all(['fetch', 'report', 'transform', 'consume', 'run'].map((id) => helpOf(id as never)))
  t.match(fetch, '[env: DATAQUEST_BUCKET] shorthand for --raw s3://NAME/raw/ ')
  t.notMatch(fetch, '--processed s3://NAME')
  t.match(report, '[env: DATAQUEST_BUCKET] shorthand for --processed s3://NAME/processed/ ')
  t.notMatch(report, '--raw s3://NAME')
  t.match(transform, 'shorthand for --raw s3://NAME/raw/ and --processed s3://NAME/processed/')
  t.match(transform, '[default: ./data/raw, env: DATAQUEST_RAW] raw store', 'tags where oclif puts its own')
  t.match(consume, 'long-polling wait per receive, 0–20 seconds')
  t.notMatch(fetch + report + transform + run, 'Format output as json', '--json says what it prints')
  t.match(run, '--json print every step')
})
