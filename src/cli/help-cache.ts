/**
 * Help as rendered before: `--help` prints the same text for the same build, arguments, terminal
 * and environment, and rendering it means loading oclif (most of a `--help`'s time on Node 20,
 * which has no compile cache). So the help class (cli/help.ts) keeps each help text it prints in
 * the cache directory, and bin/run.js prints a kept one without loading oclif. A text is found by
 * a hash of everything it can depend on: the build, the arguments, Node's version, whether stdout
 * is a terminal and its width, the variables that can change help (colour, widths, the CLI's
 * own…) and the user plugins' manifest; anything else asks oclif. Any failure to read or write the cache just
 * means no cache.
 */
import {createHash, randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {cacheDir, makeDirectory} from './compile-cache.js'

/** What the key reads of stdout. */
export interface Terminal {
  isTTY?: boolean
  columns?: number
}

/** Texts kept at most: the oldest go first (one per terminal width and command, in practice). */
const MAX_ENTRIES = 100

/**
 * The variables help can depend on: oclif's and the CLI's own (flags' defaults, plugin and config
 * folders, debug), colour (supports-color reads the terminal and CI variables) and widths. Others
 * (the working folder, a shell's depth, a test runner's per-process ids) do not make another entry,
 * nor do AWS credentials, which no help shows.
 */
const HELP_ENV = /^(?!AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN|ACCESS_KEY_ID)$)(DATAQUEST_|OCLIF_|AWS_|XDG_|HOME$|DEBUG$|FORCE_COLOR$|NO_COLOR$|NODE_DISABLE_COLORS$|TERM|COLORTERM$|COLUMNS$|CI$|CI_|\w+_CI$|GITHUB_ACTIONS$|GITEA_ACTIONS$|CIRCLECI$|TRAVIS$|APPVEYOR$|BUILDKITE$|DRONE$|TEAMCITY_VERSION$|TF_BUILD$|AGENT_NAME$)/

/** A request oclif answers with help alone: no arguments, or command words and a help flag. */
function isHelpRequest(argv: readonly string[]): boolean {
  const flags = argv.filter((arg) => arg === '--help' || arg === '-h')
  const words = argv.filter((arg) => arg !== '--help' && arg !== '-h')
  return (argv.length === 0 || flags.length > 0) && words.every((word) => /^[a-z][a-z0-9-]*$/.test(word))
}

/** Where oclif keeps user plugins (its data directory): its package.json lists them. */
function pluginsManifest(env: NodeJS.ProcessEnv, home: string): string {
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'dataquest', 'package.json')
}

/** The cache file for this request, or undefined when it is not one for help or the build is unknown. */
export function helpCacheFile(root: string, argv: readonly string[], env: NodeJS.ProcessEnv, terminal: Terminal, home = os.homedir()): string | undefined {
  if (!isHelpRequest(argv)) return undefined
  let build: string
  try {
    build = (JSON.parse(readFileSync(path.join(root, 'dist', '.build.json'), 'utf8')) as {inputs: string}).inputs
  } catch {
    return undefined // not built by scripts/build.mjs (bin/dev.js): no cache
  }
  const plugins = statSync(pluginsManifest(env, home), {throwIfNoEntry: false})
  const key = JSON.stringify({
    build,
    argv,
    node: process.version,
    tty: Boolean(terminal.isTTY),
    columns: terminal.isTTY ? terminal.columns : undefined,
    plugins: plugins ? [plugins.size, plugins.mtimeMs] : undefined,
    env: Object.entries(env)
      .filter(([name]) => HELP_ENV.test(name))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  })
  return path.join(cacheDir(env, home), 'help', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.txt`)
}

/** The kept help text, or undefined. */
export function cachedHelp(file: string | undefined): string | undefined {
  if (file === undefined) return undefined
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** Keep a help text (written whole, then renamed: a reader never sees part of one); the oldest beyond MAX_ENTRIES go. */
export function keepHelp(file: string | undefined, text: string): void {
  if (file === undefined) return
  try {
    const folder = path.dirname(file)
    makeDirectory(folder)
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    writeFileSync(temp, text)
    renameSync(temp, file)
    const entries = readdirSync(folder).filter((name) => name.endsWith('.txt'))
    if (entries.length <= MAX_ENTRIES) return
    const byAge = entries.map((name) => ({name, time: statSync(path.join(folder, name)).mtimeMs})).sort((a, b) => a.time - b.time)
    for (const {name} of byAge.slice(0, entries.length - MAX_ENTRIES)) rmSync(path.join(folder, name), {force: true})
  } catch {
    // A cache that cannot be written is no cache.
  }
}
