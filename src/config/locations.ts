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

/** `--bucket NAME` is shorthand for `s3://NAME/raw/` and `s3://NAME/processed/`. */
export const bucketLocations = (bucket: string): Locations => ({raw: `s3://${bucket}/raw/`, processed: `s3://${bucket}/processed/`})

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
