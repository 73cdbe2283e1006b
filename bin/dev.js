#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (no build), for development.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execute} from '@oclif/core'

// The lockfile pins the AWS SDK; its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// oclif maps dist/ to src/ only through tsconfig's outDir, which the type-checking tsconfig has
// not got; so point command discovery at the sources, which tsx (loaded by --import) can run.
const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands = './src/commands'
pjson.oclif.hooks.command_not_found = './src/cli/not-found.ts'

// The manifest (if `npm run prepare` made one) describes dist/, which may be older than src/.
await execute({development: true, loadOptions: {root, pjson, ignoreManifest: true}})
