import {Flags} from '@oclif/core'

import {DEFAULT_PROCESSED, DEFAULT_RAW} from '../config/locations.js'

// Raw/processed/bucket are resolved together (see config/locations.ts), so oclif's own `env`
// is not used for them: a --bucket flag must win over DATAQUEST_RAW.
export const raw = Flags.string({
  description: `raw store: a folder or s3://bucket/prefix [env: DATAQUEST_RAW] [default: ${DEFAULT_RAW}]`,
  helpValue: 'LOC',
})

export const processed = Flags.string({
  description: `processed store: a folder or s3://bucket/prefix [env: DATAQUEST_PROCESSED] [default: ${DEFAULT_PROCESSED}]`,
  helpValue: 'LOC',
})

export const bucket = Flags.string({
  description: 'shorthand for --raw s3://NAME/raw/ and --processed s3://NAME/processed/ [env: DATAQUEST_BUCKET]',
  helpValue: 'NAME',
})

export const endpoint = Flags.string({
  description: 'S3/SQS-compatible endpoint (an emulator, MinIO…); path-style addressing then [env: AWS_ENDPOINT_URL] [default: AWS]',
  env: 'AWS_ENDPOINT_URL',
  helpValue: 'URL',
})

export const locationFlags = {raw, processed, bucket, endpoint}
