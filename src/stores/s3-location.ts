// Apart from s3.ts so that parsing a location does not import the AWS SDK (see open.ts).

export interface S3Location {
  bucket: string
  /** Empty, or ending in `/`. */
  prefix: string
}

export const isS3Location = (location: string): boolean => location.startsWith('s3://')

export function parseS3Location(location: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location)
  if (!match?.[1]) throw new Error(`invalid S3 location ${JSON.stringify(location)}: use s3://bucket/prefix`)
  const prefix = match[2] as string
  return {bucket: match[1], prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}
}
