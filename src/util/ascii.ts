/**
 * `text` written at `at` one byte per character, which is its UTF-8 when it is all ASCII: the
 * offset after it, or -1 at a character beyond ASCII (what was written is then garbage). For the
 * tens of thousands of short cells of a report file, a loop here costs a fraction of a native
 * Buffer#write call per cell (docs/benchmarks.md). The caller sizes `bytes` by characters.
 */
export function writeAscii(bytes: Uint8Array, text: string, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0x7f) return -1
    bytes[at + i] = code
  }
  return at + text.length
}
