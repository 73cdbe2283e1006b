/**
 * The scanner's common line in WebAssembly (quick-lines.wat): the rows of the series in hand,
 * parsed for DataFileScanner to add (the worker's share of a 100× scan: 185 → ~110 ms of CPU
 * against quickLine, docs/benchmarks.md). It takes a subset of what quickLine takes and stops at
 * the first line outside it, so every other line still goes through the JavaScript paths and
 * every result and message stays theirs.
 */
import {QUICK_LINES_WASM} from './quick-lines-wasm.js'

/** Memory layout: the series field, then the rows out, then the scanned bytes (one page on). */
const PREFIX = 0
/** A longer series field (never in a BLS file) leaves its rows to quickLine. */
const PREFIX_BYTES = 256
/** Rows out per call. */
const ROOM = 4096
const YEARS = PREFIX + PREFIX_BYTES
const VALUES = YEARS + 4 * ROOM
const INPUT = 65536
const PAGE = 65536

interface QuickLinesExports {
  memory: WebAssembly.Memory
  stop: WebAssembly.Global
  rows(pos: number, end: number, prefix: number, prefixLength: number, years: number, values: number, room: number): number
}

let compiled: WebAssembly.Module | undefined

export class QuickLines {
  private readonly exports: QuickLinesExports
  private bytes!: Uint8Array
  /** Each row's year * 8 + period, and its value in thousandths, as `rows` left them. */
  years!: Int32Array
  values!: Float64Array
  /** Length of the series field in memory; -1 when there is none to match. */
  private prefixLength = -1
  private end = INPUT
  /** Where, in the loaded bytes, the last `rows` stopped. */
  stop = 0

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(QUICK_LINES_WASM, 'base64'))
    this.exports = new WebAssembly.Instance(compiled).exports as unknown as QuickLinesExports
    this.views()
  }

  /** Fresh views of the memory (growing it detaches the old ones). */
  private views(): void {
    const {buffer} = this.exports.memory
    this.bytes = new Uint8Array(buffer)
    this.years = new Int32Array(buffer, YEARS, ROOM)
    this.values = new Float64Array(buffer, VALUES, ROOM)
  }

  /** Copy in the bytes to scan, and a 0 after them (the module reads no further). */
  load(chunk: Uint8Array): void {
    const needed = INPUT + chunk.length + 1
    if (needed > this.bytes.length) {
      this.exports.memory.grow(Math.ceil((needed - this.bytes.length) / PAGE))
      this.views()
    }
    this.bytes.set(chunk, INPUT)
    this.bytes[INPUT + chunk.length] = 0
    this.end = INPUT + chunk.length
  }

  /** The series field rows must start with (the previous row's, padding and all). */
  series(field: Uint8Array): void {
    if (field.length > PREFIX_BYTES) {
      this.prefixLength = -1
      return
    }
    this.bytes.set(field, PREFIX)
    this.prefixLength = field.length
  }

  /** How many rows from `start` (in the loaded bytes) it parsed into `years` and `values`; `stop` is where it stopped. */
  rows(start: number): number {
    if (this.prefixLength <= 0) {
      this.stop = start
      return 0
    }
    const count = this.exports.rows(INPUT + start, this.end, PREFIX, this.prefixLength, YEARS, VALUES, ROOM)
    this.stop = (this.exports.stop.value as number) - INPUT
    return count
  }
}
