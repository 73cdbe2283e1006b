// Builds dist/ with esbuild: each command, the not-found hook and the CLI's entry are bundled with
// their dependencies (oclif included) into ES modules that share chunks. Node then reads a handful of
// files at start-up instead of the hundreds behind @oclif/core, and a command loads only its own
// chunks: `--help` never parses the AWS SDK, listr2 or papaparse. Types are checked by `npm run
// typecheck`, not here.
import {readdirSync, rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const commands = readdirSync(path.join(root, 'src/commands'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => `src/commands/${name}`)

rmSync(path.join(root, 'dist'), {recursive: true, force: true})
await build({
  absWorkingDir: root,
  // The parallel scan is an entry of its own: it is its workers' script, which then loads that
  // module and the scanner only, not oclif and the chunk of every module transform shares.
  entryPoints: ['src/cli/main.ts', 'src/cli/compile-cache.ts', 'src/cli/not-found.ts', 'src/transform/parallel-scan.ts', ...commands],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.12',
  sourcemap: true,
  // The AWS SDK stays in node_modules: it is loaded only by the S3 and SQS code paths, and bundling
  // its optional peers (CRT signers…) would need care for no start-up gain. oclif asks for
  // TypeScript only to run a plugin from its sources, which an installed CLI never does.
  external: ['@aws-sdk/*', 'typescript'],
  // CommonJS dependencies inside an ES module still call require() for Node's built-ins.
  banner: {js: "import {createRequire as __dataquestRequire} from 'node:module'; const require = __dataquestRequire(import.meta.url);"},
  logLevel: 'warning',
})
