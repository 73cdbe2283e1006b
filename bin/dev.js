#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (no build), for development.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execute} from '@oclif/core'

// The lockfile pins the AWS SDK; its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// oclif reads oclif.manifest.json (which describes dist/) from the root it is given, whatever
// `ignoreManifest` says; so the root here is src/, which has none, and the paths are relative to it.
// tsx (loaded by --import) runs the .ts files.
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands = './commands'
pjson.oclif.hooks.command_not_found = './cli/not-found.ts'
// The help cache is bin/run.js's (it answers from dist/'s help class): here oclif's own help.
delete pjson.oclif.helpClass

await execute({development: true, loadOptions: {root: fileURLToPath(new URL('../src', import.meta.url)), pjson}})
