#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (no build), for development.
import {execute} from '@oclif/core'

// The lockfile pins the AWS SDK; its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

await execute({development: true, dir: import.meta.url})
