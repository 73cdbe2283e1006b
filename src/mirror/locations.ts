import {realpath, stat} from 'node:fs/promises'
import path from 'node:path'

import {isS3Location} from '../stores/open.js'
import {parseS3Location} from '../stores/s3-location.js'

/** The two locations of a mirror cannot work as given (the caller's mistake: exit 2 in the CLI). */
export class LocationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LocationError'
  }
}

/** `folder` with symlinks resolved, as far as it exists (a target may not exist yet). */
async function resolveFolder(folder: string): Promise<string> {
  const rest: string[] = []
  let existing = path.resolve(folder)
  for (;;) {
    try {
      return path.join(await realpath(existing), ...rest)
    } catch (error) {
      const parent = path.dirname(existing)
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === existing) throw error
      rest.unshift(path.basename(existing))
      existing = parent
    }
  }
}

/** A comparable form: `s3://bucket/prefix/` or a resolved folder path ending in `/`. */
async function canonical(location: string): Promise<string> {
  if (isS3Location(location)) {
    const {bucket, prefix} = parseS3Location(location)
    return `s3://${bucket}/${prefix}`
  }
  const resolved = await resolveFolder(location)
  return path.join(resolved, path.sep)
}

/**
 * Refuse a mirror whose source is missing or overlaps its target: a folder source that does not
 * exist is no empty source (mirroring it would delete the target), and a source inside its target
 * (or the reverse) reads its own writes (the target's copy of the source deleted, or the target
 * copied into itself on every run). Folders are compared with symlinks resolved, S3 by bucket and
 * prefix.
 */
export async function checkMirrorLocations(source: string, target: string): Promise<void> {
  if (!isS3Location(source)) {
    const info = await stat(source).catch((error: NodeJS.ErrnoException) => {
      throw new LocationError(`the source folder ${source} ${error.code === 'ENOENT' ? 'does not exist' : `cannot be read (${error.message})`}`)
    })
    if (!info.isDirectory()) throw new LocationError(`the source ${source} is not a folder`)
  }
  const [from, to] = await Promise.all([canonical(source), canonical(target)])
  if (from === to) throw new LocationError(`the source ${source} and the target ${target} are the same store`)
  if (to.startsWith(from)) throw new LocationError(`the target ${target} is inside the source ${source}: every run would copy the target into itself`)
  if (from.startsWith(to)) throw new LocationError(`the source ${source} is inside the target ${target}: the target's copy of the source would be deleted`)
}
