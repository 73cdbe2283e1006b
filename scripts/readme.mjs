// The command reference, generated from the commands themselves (oclif.manifest.json, written by
// `npm run prepare`): a table of commands in README.md and every command's full help in
// docs/commands.md (oclif's own `oclif readme`). `--check` changes nothing and exits 1 when either
// is stale, so a test can hold them to the code.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const START = '<!-- commands -->'
const STOP = '<!-- commandsstop -->'

/** Replace what stands between the markers of `text`. */
function between(text, body, file) {
  const start = text.indexOf(START)
  const stop = text.indexOf(STOP)
  if (start < 0 || stop < start) throw new Error(`${file} has no ${START} … ${STOP} markers`)
  return `${text.slice(0, start + START.length)}\n${body}\n${text.slice(stop)}`
}

/** The anchor GitHub gives the heading oclif writes for a command: `` ## `dataquest fetch` ``. */
const anchor = (id) => `dataquest-${id.replaceAll(':', '-')}`

function commandTable() {
  const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
  const rows = Object.values(manifest.commands)
    .filter((command) => !command.hidden)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((command) => {
      const flags = Object.values(command.flags)
        .filter((flag) => !flag.hidden)
        .map((flag) => (flag.allowNo ? `\`--[no-]${flag.name}\`` : `\`--${flag.name}\``))
        .join(' ')
      const summary = (command.summary ?? command.description ?? '').split('\n')[0].replaceAll('|', '\\|')
      return `| [\`dataquest ${command.id.replaceAll(':', ' ')}\`](docs/commands.md#${anchor(command.id)}) | ${summary} | ${flags} |`
    })
  return ['| command | what it does | flags |', '|---|---|---|', ...rows].join('\n')
}

/** docs/commands.md as `oclif readme` writes it, into a copy (the original is left alone). */
function fullReference(current) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dataquest-readme-'))
  try {
    const copy = path.join(dir, 'commands.md')
    writeFileSync(copy, current)
    execFileSync(process.execPath, [path.join(root, 'node_modules/oclif/bin/run.js'), 'readme', '--readme-path', copy, '--no-source-links'], {
      cwd: root,
      env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1'},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    return readFileSync(copy, 'utf8')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const readmeFile = path.join(root, 'README.md')
const commandsFile = path.join(root, 'docs/commands.md')
const readme = readFileSync(readmeFile, 'utf8')
const commands = readFileSync(commandsFile, 'utf8')
const wanted = [
  [readmeFile, readme, between(readme, commandTable(), 'README.md')],
  [commandsFile, commands, fullReference(commands)],
]
if (process.argv.includes('--check')) {
  const stale = wanted.filter(([, now, next]) => now !== next).map(([file]) => path.relative(root, file))
  if (stale.length > 0) {
    console.error(`stale command reference in ${stale.join(' and ')}: run \`npm run readme\``)
    process.exit(1)
  }
} else {
  for (const [file, now, next] of wanted) if (now !== next) writeFileSync(file, next)
}
