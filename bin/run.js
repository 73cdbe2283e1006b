#!/usr/bin/env node
import {execute} from '@oclif/core'

// The lockfile pins the AWS SDK; its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

await execute({dir: import.meta.url})
