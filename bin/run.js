#!/usr/bin/env node
// The lockfile pins the AWS SDK; its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// The compile cache (Node 22+) goes on before oclif's chunk loads (src/cli/compile-cache.ts).
const {enableCompileCache} = await import('../dist/cli/compile-cache.js')
enableCompileCache(process.env)
// dist/ is the bundled build (npm run build): oclif and the commands in a few files, not hundreds.
const {execute} = await import('../dist/cli/main.js')
await execute({dir: import.meta.url})
