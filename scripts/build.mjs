// Builds dist/ with esbuild: each command, the not-found hook and the CLI's entry are bundled with
// their dependencies (oclif included) into ES modules that share chunks. Node then reads a handful of
// files at start-up instead of the hundreds behind @oclif/core, and a command loads only its own
// chunks: `--help` never parses the AWS SDK, ora or papaparse. Types are checked by `npm run
// typecheck`, not here. Then oclif.manifest.json (what `oclif manifest` writes).
//
// Other processes may be running the CLI from dist/ meanwhile (`npx dataquest` runs `prepare`, and
// so does `npm test`): a build never leaves a file missing. It builds into a staging folder beside
// dist/, renames each file into place (chunks first, entries last), keeps the previous build's files
// (a running process may still import one of its chunks) and drops older ones. Nothing is rebuilt
// when the inputs are unchanged (`--force` rebuilds anyway).
import {createHash, randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const stampFile = path.join(dist, '.build.json')
const manifestFile = path.join(root, 'oclif.manifest.json')
const commands = readdirSync(path.join(root, 'src/commands'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => `src/commands/${name}`)

/** Files under `folder`, relative, `/`-separated. */
const filesUnder = (folder) =>
  readdirSync(folder, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))

/** What the build reads: the sources, this script, the dependencies' versions. */
function inputsHash() {
  const hash = createHash('sha256')
  const inputs = ['package.json', 'package-lock.json', 'scripts/build.mjs', ...filesUnder(path.join(root, 'src')).map((file) => `src/${file}`)].sort()
  for (const file of inputs) hash.update(`${file}\0`).update(readFileSync(path.join(root, file))).update('\0')
  return hash.digest('hex')
}

/** Write through a temp file and a rename: a reader sees the old file or the new one, whole. */
function writeAtomically(file, text) {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(temp, text)
  renameSync(temp, file)
}

const readStamp = () => {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'))
  } catch {
    return undefined
  }
}

const previous = readStamp()
const inputs = inputsHash()
const upToDate = previous?.inputs === inputs && previous.files.every((file) => existsSync(path.join(dist, file))) && existsSync(manifestFile)
if (upToDate && !process.argv.includes('--force')) {
  console.log('dist/ is up to date')
  process.exit(0)
}

const staging = path.join(root, `.dist-${process.pid}-${randomBytes(4).toString('hex')}`)
try {
  await build({
    absWorkingDir: root,
    // The parallel scan is an entry of its own: it is its workers' script, which then loads that
    // module and the scanner only, not oclif and the chunk of every module transform shares.
    entryPoints: ['src/cli/main.ts', 'src/cli/startup.ts', 'src/cli/not-found.ts', 'src/transform/parallel-scan.ts', ...commands],
    outdir: staging,
    outbase: 'src',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.12',
    sourcemap: true,
    // The AWS SDK is bundled too, into chunks that only the S3 and SQS code paths load: its ES
    // modules, tree-shaken, load in half the time of its CommonJS build from node_modules (~95 ms
    // against ~190 ms for the S3 client), which every command on a bucket pays. Its optional CRT
    // signer is left out (not installed: the SDK falls back to its JavaScript signer). oclif asks
    // for TypeScript only to run a plugin from its sources, which an installed CLI never does.
    // DuckDB is a native addon (and ~70 MB): it stays in node_modules, loaded by `dataquest query` alone.
    external: ['@aws-sdk/signature-v4-crt', '@duckdb/*', 'typescript'],
    mainFields: ['module', 'main'],
    // CommonJS dependencies inside an ES module still call require() for Node's built-ins.
    banner: {js: "import {createRequire as __dataquestRequire} from 'node:module'; const require = __dataquestRequire(import.meta.url);"},
    logLevel: 'warning',
  })
  // Chunks first, the CLI's entry last: a process starting meanwhile finds every module it imports.
  const rank = (file) => (file.startsWith('chunk-') ? 0 : file.startsWith('cli/main.') ? 2 : 1)
  const files = filesUnder(staging).sort((a, b) => rank(a) - rank(b))
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dist, file)), {recursive: true})
    renameSync(path.join(staging, file), path.join(dist, file))
  }
  const keep = new Set([...files, ...(previous?.files ?? [])])
  for (const file of filesUnder(dist)) if (!keep.has(file) && file !== '.build.json') rmSync(path.join(dist, file), {force: true})

  // oclif.manifest.json, as `oclif manifest` builds it, but written atomically (oclif's own command
  // deletes it first, then writes it in place).
  const {Plugin} = await import('@oclif/core')
  const plugin = new Plugin({errorOnManifestCreate: true, ignoreManifest: true, respectNoCacheDefault: true, root, type: 'core'})
  await plugin.load()
  writeAtomically(manifestFile, JSON.stringify(plugin.manifest, null, 2))
  writeAtomically(stampFile, `${JSON.stringify({inputs, files})}\n`)
} finally {
  rmSync(staging, {recursive: true, force: true})
}
