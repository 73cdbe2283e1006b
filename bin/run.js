#!/usr/bin/env node
import {fileURLToPath} from 'node:url'

// The lockfile pins the AWS SDK; its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// Help printed before for the same request is printed again without loading oclif (src/cli/help-cache.ts).
const {cachedHelp, enableCompileCache, helpCacheFile} = await import('../dist/cli/startup.js')
const help = cachedHelp(helpCacheFile(fileURLToPath(new URL('..', import.meta.url)), process.argv.slice(2), process.env, process.stdout))
if (help === undefined) {
  // The compile cache (Node 22+) goes on before oclif's chunk loads (src/cli/compile-cache.ts).
  enableCompileCache(process.env)
  // The commands that scan the data file start its workers now, beside oclif's loading: one of them
  // hashes the file, the scan's longest path, and a worker takes ~50 ms to start (src/transform/parallel-scan.ts).
  const [command, ...rest] = process.argv.slice(2)
  if (['transform', 'run'].includes(command) && !rest.includes('--help')) (await import('../dist/transform/parallel-scan.js')).prestartScanWorkers()
  // dist/ is the bundled build (npm run build): oclif and the commands in a few files, not hundreds.
  const {execute, flush} = await import('../dist/cli/main.js')
  await execute({dir: import.meta.url})
  // Done: exit now, output flushed, rather than wait for Node to tear the heap down (~20 ms after a
  // large transform, docs/benchmarks.md). oclif exits this way after an error.
  await flush()
  process.exit()
} else process.stdout.write(help)
