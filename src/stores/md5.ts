import {createHash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'

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
