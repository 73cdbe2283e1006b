export const DEFAULT_RAW = './data/raw'
export const DEFAULT_PROCESSED = './data/processed'

export interface LocationInputs {
  raw?: string
  processed?: string
  bucket?: string
}

export interface Locations {
  raw: string
  processed: string
}

/** A `--bucket` value that is not a bucket: a prefix would be dropped or doubled, so it is refused. */
export class BucketNameError extends Error {
  constructor(readonly input: string) {
    super(`${JSON.stringify(input)} is not a bucket name: give NAME or s3://NAME; for a prefix of your own give the store itself (--raw, --processed, sync --to s3://NAME/prefix/)`)
    this.name = 'BucketNameError'
  }
}

/** `NAME`, or `s3://NAME` as the console and `aws s3` write it: the bucket's name. */
export function bucketName(input: string): string {
  const name = input.replace(/^s3:\/\//i, '').replace(/\/$/, '')
  if (name === '' || /[/:]/.test(name)) throw new BucketNameError(input)
  return name
}

/** `--bucket NAME` is shorthand for `s3://NAME/raw/` and `s3://NAME/processed/`. */
export function bucketLocations(bucket: string): Locations {
  const name = bucketName(bucket)
  return {raw: `s3://${name}/raw/`, processed: `s3://${name}/processed/`}
}

/**
 * Where the raw and processed stores are. A flag wins over the environment, and a specific
 * location wins over the bucket shorthand at the same level.
 */
export function resolveLocations(flags: LocationInputs, env: Record<string, string | undefined>): Locations {
  const pick = (which: keyof Locations, envName: string, fallback: string): string =>
    flags[which] ??
    (flags.bucket ? bucketLocations(flags.bucket)[which] : undefined) ??
    env[envName] ??
    (env.DATAQUEST_BUCKET ? bucketLocations(env.DATAQUEST_BUCKET)[which] : undefined) ??
    fallback
  return {raw: pick('raw', 'DATAQUEST_RAW', DEFAULT_RAW), processed: pick('processed', 'DATAQUEST_PROCESSED', DEFAULT_PROCESSED)}
}
