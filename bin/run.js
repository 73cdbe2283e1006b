#!/usr/bin/env node
// The lockfile pins the AWS SDK; its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// dist/ is the bundled build (npm run build): oclif and the commands in a few files, not hundreds.
const {execute} = await import('../dist/cli/main.js')
await execute({dir: import.meta.url})
