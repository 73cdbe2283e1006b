import {createHash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'
import {DataquestError} from '../util/errors.js'

export function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex')
}

/** A pass-through stream that counts bytes and computes their MD5 on the way. */
export class HashingStream extends Transform {
  private readonly hash = createHash('md5')
  bytes = 0

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    callback(null, chunk)
  }

  /** Hex digest; call once, after the stream has ended. */
  digest(): string {
    return this.hash.digest('hex')
  }
}

/** The bytes read from a store are not those it vouched for. */
export class ChecksumMismatchError extends DataquestError {
  constructor(readonly key: string, readonly expected: string, readonly actual: string) {
    super('store', `${key}: the bytes read have MD5 ${actual}, but the store recorded ${expected} (changed while being read, or corrupt)`)
    this.name = 'ChecksumMismatchError'
  }
}

/** A pass-through stream that fails at its end, before the reader sees it end, unless the bytes' MD5 is `expected`. */
export class VerifyingStream extends HashingStream {
  constructor(private readonly key: string, private readonly expected: string) {
    super()
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.digest()
    callback(actual === this.expected ? null : new ChecksumMismatchError(this.key, this.expected, actual))
  }
}
