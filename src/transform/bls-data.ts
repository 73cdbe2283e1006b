import {createHash} from 'node:crypto'

import {DECIMALS, MAX_SCALED_VALUE, SCALE} from './decimal.js'
import {QuickLines} from './quick-lines.js'
import {MergedSeries, type PackedSums, SeriesPacker, YearSumList} from './series-sums.js'
import type {ByteReader} from '../stores/store.js'
import {DataquestError} from '../util/errors.js'

/**
 * A streaming scanner for BLS time-series data files (tab-separated, space-padded, CRLF or LF).
 * It works on the raw bytes: papaparse's streaming parser alone takes longer than this whole pass
 * (see bench/transform.ts), and memory holds one chunk plus the per-series, per-year sums.
 */

const REQUIRED_COLUMNS = ['series_id', 'year', 'period', 'value'] as const

/** Periods Q01–Q04 are quarters; Q05 is the annual average. */
const ANNUAL_PERIOD = 5

/** A line longer than this cannot be a BLS row; refusing it keeps memory bounded on a file without line ends. */
export const MAX_LINE_BYTES = 1024 * 1024

const TAB = 9
const LF = 10
const CR = 13
const SPACE = 32
const FOUR_SPACES = 0x20202020
const MINUS = 45
const PLUS = 43
const DOT = 46
const ZERO = 48
const Q = 81

export interface RejectedRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number
  reason: string
  /** The line as read (the caller sanitises it before printing). */
  text: string
}

export interface ScanOptions {
  /** Store key of the file, for messages. */
  key: string
  /** The series and period whose rows are kept one by one (the series report). */
  seriesId: string
  period: number
  /** Any rejected row is fatal. */
  strict?: boolean
  /** How many rejected rows to keep as examples. */
  sampleSize?: number
  /** Called after each chunk with the bytes read so far. */
  onBytes?: (bytes: number) => void
  /**
   * The header line, when the scanner is given a piece of the file without it (a worker of the
   * parallel scan): lines are then counted from 1 at the first line given.
   */
  header?: string
}

export interface ScanResult {
  md5: string
  bytes: number
  /** Data rows accepted (summed). */
  rows: number
  series: MergedSeries
  /** Rows of the chosen series in the chosen period, in file order (scaled values). */
  picked: {year: number; value: number}[]
  rejected: {count: number; samples: RejectedRow[]}
  /** Threads that scanned it (1: this one). */
  threads: number
}

/** What one piece of the file added, besides its sums (see DataFileScanner.takePiece). */
export interface PieceResult {
  /** Lines in the piece; rejected rows' line numbers count from 1 at its first line. */
  lines: number
  rejectedCount: number
  samples: RejectedRow[]
  picked: {year: number; value: number}[]
}

export class DataFileError extends DataquestError {
  constructor(message: string) {
    super('input', message)
    this.name = 'DataFileError'
  }
}

/** Column positions of the required fields, from the header line (fields trimmed). */
function parseHeader(header: string, key: string): number[] {
  const names = header.replace(/^\uFEFF/, '').split('\t').map((name) => name.trim())
  const missing = REQUIRED_COLUMNS.filter((column) => !names.includes(column))
  if (missing.length > 0) {
    throw new DataFileError(
      `${key}: header lacks ${missing.join(', ')} (found: ${names.filter(Boolean).join(', ') || 'nothing'}); a BLS data file starts with series_id, year, period, value`,
    )
  }
  return REQUIRED_COLUMNS.map((column) => names.indexOf(column))
}

/** Blanks are trimmed from fields: spaces and other controls, but not the tab that separates them. */
const isBlank = (byte: number): boolean => byte <= SPACE && byte !== TAB

/** quickLine looks this far for a line end, scanLine beyond. */
const QUICK_LINE_BYTES = 256

/** Factor that brings a value with 0–3 decimals to thousandths. */
const SCALE_UP = [1000, 100, 10, 1]

/** What a column holds, by index (the header decides). */
const OTHER = 0
const SERIES = 1
const YEAR = 2
const PERIOD = 3
const VALUE = 4
const KIND_OF_REQUIRED = [SERIES, YEAR, PERIOD, VALUE]

/**
 * What the slow path trims, as the hot path does: ASCII blanks only. Unicode spaces (NBSP, EM SPACE,
 * U+FEFF…) are not trimmed: a field beside one is refused, with the character named.
 */
// eslint-disable-next-line no-control-regex -- the hot path trims these bytes (isBlank)
const BLANKS = /^[\x00-\x08\x0a-\x20]+|[\x00-\x08\x0a-\x20]+$/g
const trimBlanks = (text: string): string => text.replace(BLANKS, '')
/** A line the slow path skips: nothing but what String.prototype.trim removes among ASCII. */
const BLANK_LINE = /^[\t\n\v\f\r ]*$/
/** Spaces beyond ASCII, which JavaScript's trim() would remove and the scanner keeps. */
const UNICODE_SPACE = /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/
const EDGE_UNICODE_SPACE = new RegExp(`^${UNICODE_SPACE.source}|${UNICODE_SPACE.source}$`)

/** The first Unicode space in the text, as `U+00A0`; undefined when there is none. */
function unicodeSpace(text: string): string | undefined {
  const found = UNICODE_SPACE.exec(text)
  return found ? `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined
}

/** Why a trimmed field is refused, or undefined when it is fine (the slow path, for rejected rows only). */
const VALUE_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/
function fieldProblem(column: (typeof REQUIRED_COLUMNS)[number], text: string): string | undefined {
  if (column === 'series_id') {
    if (text === '') return 'series_id is empty'
    return EDGE_UNICODE_SPACE.test(text) ? `series_id ${JSON.stringify(text)} has ${unicodeSpace(text)!} at an edge, a space that is not trimmed` : undefined
  }
  const problem = valueProblem(column, text)
  const space = problem && unicodeSpace(text)
  return space ? `${problem} (it holds ${space}, a space that is not trimmed)` : problem
}

function valueProblem(column: 'year' | 'period' | 'value', text: string): string | undefined {
  const quoted = JSON.stringify(text)
  switch (column) {
    case 'year':
      return /^\d{4}$/.test(text) ? undefined : `year ${quoted} is not a year`
    case 'period':
      return /^Q0[1-5]$/.test(text) ? undefined : `period ${quoted} is not Q01–Q05`
    case 'value':
      if (!VALUE_PATTERN.test(text)) return `value ${quoted} is not a decimal number`
      if ((text.split('.')[1] ?? '').length > DECIMALS) return `value ${quoted} has more than ${DECIMALS} decimals`
      return Math.abs(Number(text)) * SCALE >= MAX_SCALED_VALUE ? `value ${quoted} is out of range` : undefined
  }
}

/**
 * Accumulates the rows of a data file. `push` takes chunks as they arrive; `end` finishes the
 * last line. Used by `scanDataFile` on this thread and by each worker of the parallel scan.
 */
export class DataFileScanner {
  readonly picked: {year: number; value: number}[] = []
  readonly samples: RejectedRow[] = []
  rejectedCount = 0
  rows = 0
  private line = 0
  private columns: number[] | undefined
  /** Highest column index needed, and what each column up to it holds. */
  private lastColumn = 0
  private kinds = new Uint8Array(0)
  /** series_id, year, period and value are the first four columns, in that order (as in every BLS file): quickLine applies. */
  private standardColumns = false
  /** Rows of the series in hand parsed in WebAssembly, where the columns are standard. */
  private quick: QuickLines | undefined
  /** The last value readValue read. */
  private value = 0
  private carry: Buffer | undefined
  // The file is sorted by series, so the previous row's series is nearly always the next one's.
  private previousField = Buffer.alloc(0)
  /** Its first bytes as little-endian 32-bit words: quickLine compares four bytes at a time. */
  private previousWords = new Int32Array(0)
  /** The series in hand ('' when none: no series has an empty id), its sums in these lists; the others are packed. */
  private currentId = ''
  private readonly quarterly = new YearSumList()
  private readonly annual = new YearSumList()
  private readonly packer = new SeriesPacker()
  private currentIsPicked = false
  private runningSums: YearSumList | undefined
  private runningYear = 0
  private runningIndex = 0
  private running = 0
  /** Largest magnitude any running sum reached: bounds the sums of pieces scanned apart (parallel-scan.ts). */
  maxAbsSum = 0

  constructor(private readonly options: ScanOptions) {
    if (options.header !== undefined) this.useHeader(options.header)
  }

  push(chunk: Buffer): void {
    let start = 0
    if (this.carry) {
      const newline = chunk.indexOf(LF)
      if (newline === -1) {
        this.carry = Buffer.concat([this.carry, chunk])
        this.checkLength(this.carry.length)
        return
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, newline)])
      this.carry = undefined
      this.checkLength(joined.length)
      this.scanLine(joined, 0, joined.length)
      start = newline + 1
    }
    const words = new DataView(chunk.buffer, chunk.byteOffset, chunk.length)
    const {quick} = this
    quick?.load(chunk)
    for (;;) {
      if (quick) start = this.quickRows(quick, start)
      const next = this.standardColumns ? this.quickLine(chunk, words, start) : -1
      if (next !== -1) {
        start = next
        continue
      }
      const newline = chunk.indexOf(LF, start)
      if (newline === -1) break
      this.checkLength(newline - start)
      this.scanLine(chunk, start, newline)
      start = newline + 1
    }
    if (start < chunk.length) {
      // A copy: the caller may reuse the chunk's memory for the next one.
      this.carry = Buffer.from(chunk.subarray(start))
      this.checkLength(this.carry.length)
    }
  }

  /** Scan a last line that has no line end; the next push starts a new line. */
  finishLine(): void {
    if (this.carry) this.scanLine(this.carry, 0, this.carry.length)
    this.carry = undefined
    this.storeRunningSum()
  }

  /**
   * The line count, rejected rows and picked rows since the last call, which then start again:
   * the parallel scan gives a worker pieces of the file in any order and puts them back in order.
   */
  takePiece(): PieceResult {
    const piece = {lines: this.line, rejectedCount: this.rejectedCount, samples: this.samples.splice(0), picked: this.picked.splice(0)}
    this.line = 0
    this.rejectedCount = 0
    return piece
  }

  end(): void {
    this.finishLine()
    if (this.columns === undefined) throw new DataFileError(`${this.options.key} is empty: no header line`)
    if (this.rows === 0) throw new DataFileError(`${this.options.key} has no usable data rows; the previous reports were kept`)
  }

  private checkLength(length: number): void {
    if (length > MAX_LINE_BYTES) {
      throw new DataFileError(`${this.options.key}: line ${this.line + 1} is longer than ${MAX_LINE_BYTES} bytes; not a BLS data file`)
    }
  }

  private scanLine(buf: Buffer, start: number, end: number): void {
    this.line++
    if (end > start && buf[end - 1] === CR) end--
    if (this.columns === undefined) {
      this.useHeader(buf.toString('utf8', start, end))
    } else if (!this.accept(buf, start, end)) {
      this.diagnose(buf, start, end)
    }
  }

  private useHeader(header: string): void {
    this.columns = parseHeader(header, this.options.key)
    this.standardColumns = this.columns.every((column, slot) => column === slot)
    this.quick = this.standardColumns ? new QuickLines() : undefined
    this.lastColumn = Math.max(...this.columns)
    this.kinds = new Uint8Array(this.lastColumn + 1).fill(OTHER)
    this.columns.forEach((column, slot) => (this.kinds[column] = KIND_OF_REQUIRED[slot]!))
  }

  /**
   * The hot path: parse and add a well-formed row in one pass over its bytes. Anything unusual
   * returns false, and `diagnose` finds out what (or that the line is blank).
   */
  private accept(buf: Buffer, start: number, end: number): boolean {
    const {kinds, lastColumn} = this
    let i = start
    // idStart -1: the previous row's series.
    let idStart = -1
    let idEnd = 0
    let fieldEnd = 0
    let year = 0
    let period = 0
    for (let field = 0; ; field++) {
      while (i < end && isBlank(buf[i]!)) i++
      const kind = kinds[field]
      if (kind === SERIES) {
        // Rows come grouped by series: first compare with the previous row's field, padding and all.
        const previous = this.previousField
        let same = previous.length > 0 && end - i >= previous.length
        for (let k = 0; same && k < previous.length; k++) same = buf[i + k] === previous[k]
        if (same && (i + previous.length === end || buf[i + previous.length] === TAB)) {
          i += previous.length
          idStart = -1
        } else {
          idStart = i
          while (i < end && buf[i] !== TAB) i++
          fieldEnd = i
          idEnd = i
          while (idEnd > idStart && isBlank(buf[idEnd - 1]!)) idEnd--
          if (idEnd === idStart) return false
          // A Unicode space at an edge (its bytes are not ASCII) would make another series: refused.
          if ((buf[idStart]! > 0x7f || buf[idEnd - 1]! > 0x7f) && EDGE_UNICODE_SPACE.test(buf.toString('utf8', idStart, idEnd))) return false
        }
      } else if (kind === YEAR) {
        if (end - i < 4) return false
        for (const stop = i + 4; i < stop; i++) {
          const digit = buf[i]! - ZERO
          if (digit < 0 || digit > 9) return false
          year = year * 10 + digit
        }
      } else if (kind === PERIOD) {
        if (end - i < 3 || buf[i] !== Q || buf[i + 1] !== ZERO) return false
        period = buf[i + 2]! - ZERO
        if (period < 1 || period > 5) return false
        i += 3
      } else if (kind === VALUE) {
        i = this.readValue(buf, i, end)
        if (i === -1) return false
      } else {
        while (i < end && buf[i] !== TAB) i++
      }
      while (i < end && isBlank(buf[i]!)) i++
      if (i < end && buf[i] !== TAB) return false
      if (field === lastColumn) break
      if (i === end) return false
      i++
    }
    if (idStart !== -1) this.seriesFor(buf, idStart, idEnd, fieldEnd)
    this.add(year, period)
    return true
  }

  /**
   * A decimal at `i` (sign, digits, point, at most DECIMALS decimals) scaled to thousandths in
   * `value`; the position after it, or -1 when it is not one.
   */
  private readValue(buf: Buffer, i: number, end: number): number {
    const negative = buf[i] === MINUS
    if (negative || buf[i] === PLUS) i++
    let value = 0
    let digits = 0
    let digit: number
    while (i < end && (digit = buf[i]! - ZERO) >= 0 && digit <= 9) {
      value = value * 10 + digit
      i++
      digits++
    }
    let decimals = 0
    if (i < end && buf[i] === DOT) {
      i++
      while (i < end && (digit = buf[i]! - ZERO) >= 0 && digit <= 9) {
        value = value * 10 + digit
        i++
        decimals++
      }
    }
    if (digits + decimals === 0 || decimals > DECIMALS) return -1
    value *= SCALE_UP[decimals]!
    if (value >= MAX_SCALED_VALUE) return -1
    this.value = negative ? -value : value
    return i
  }

  /**
   * The common line, without looking for its end first: the previous row's series, then year,
   * period and value right after their tabs, in the standard column order. Adds the row and
   * returns the next line's start; -1 leaves the line to scanLine, which decides the same for
   * every line this accepts (about 7% fewer instructions per row under callgrind).
   */
  private quickLine(buf: Buffer, words: DataView, start: number): number {
    const previous = this.previousField
    const length = previous.length
    // The shortest row: the series, then 4 + 3 + 1 bytes after tabs and a line end.
    if (length === 0 || start + length + 12 > buf.length) return -1
    const previousWords = this.previousWords
    let k = 0
    for (let w = 0; w < previousWords.length; w++, k += 4) if (words.getInt32(start + k, true) !== previousWords[w]) return -1
    for (; k < length; k++) if (buf[start + k] !== previous[k]) return -1
    let i = start + length
    if (buf[i] !== TAB) return -1
    // The year's four bytes as one word: all digits when each byte is 0x30–0x39 (its high half 3,
    // and still 3 once 6 is added), then its value digit by digit.
    const digits = words.getInt32(i + 1, true)
    if ((digits & 0xf0f0f0f0) !== 0x30303030 || ((digits + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) return -1
    const year = (digits & 0xf) * 1000 + ((digits >> 8) & 0xf) * 100 + ((digits >> 16) & 0xf) * 10 + ((digits >> 24) & 0xf)
    i += 5
    if (buf[i] !== TAB || buf[i + 1] !== Q || buf[i + 2] !== ZERO || buf[i + 4] !== TAB) return -1
    const period = buf[i + 3]! - ZERO
    if (period < 1 || period > 5) return -1
    i += 5
    // The value is right-aligned in its field (nine spaces before `2.6`): four spaces at a time.
    while (i + 4 <= buf.length && words.getInt32(i, true) === FOUR_SPACES) i += 4
    while (buf[i] === SPACE) i++
    i = this.readValue(buf, i, buf.length)
    if (i === -1) return -1
    while (buf[i] === SPACE || buf[i] === CR) i++
    // The columns after value are not read; a line end within a short reach, or scanLine's checks.
    if (buf[i] === TAB) for (const stop = Math.min(buf.length, start + QUICK_LINE_BYTES); i < stop && buf[i] !== LF; i++);
    if (buf[i] !== LF) return -1
    this.line++
    this.add(year, period)
    return i + 1
  }

  /** Add the rows QuickLines parses from `start`, each as quickLine would; returns where it stopped. */
  private quickRows(quick: QuickLines, start: number): number {
    const count = quick.rows(start)
    const {years, values} = quick
    for (let row = 0; row < count; row++) {
      const yearPeriod = years[row]!
      this.value = values[row]!
      this.line++
      this.add(yearPeriod >> 3, yearPeriod & 7)
    }
    return quick.stop
  }

  /** The slow path, for lines the hot path refused: skip a blank line, reject anything else with its reason. */
  private diagnose(buf: Buffer, start: number, end: number): void {
    const text = buf.toString('utf8', start, end)
    if (BLANK_LINE.test(text)) return
    const fields = text.split('\t').map(trimBlanks)
    const columns = this.columns!
    const problem =
      fields.length <= this.lastColumn
        ? `has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected at least ${this.lastColumn + 1}`
        : REQUIRED_COLUMNS.map((name, slot) => fieldProblem(name, fields[columns[slot]!]!)).find((reason) => reason !== undefined)
    // The two paths read the same grammar; a row only the hot path refuses would be a bug here.
    /* c8 ignore next */
    if (problem === undefined) throw new Error(`${this.options.key}: line ${this.line} was refused without a reason`)
    this.reject(problem, text)
  }

  /**
   * Add the value readValue read to its series-year sum (taken from the field, not an argument: an
   * optimized caller boxes a double argument, a heap allocation per row). Rows come sorted by
   * series, year and period, so the running sum is kept aside and stored in the series' list only
   * when the series, year or basis changes.
   */
  private add(year: number, period: number): void {
    const {value} = this
    const sums = period === ANNUAL_PERIOD ? this.annual : this.quarterly
    if (sums !== this.runningSums || year !== this.runningYear) {
      this.storeRunningSum()
      const index = sums.indexOf(year)
      this.runningSums = sums
      this.runningYear = year
      this.runningIndex = index
      this.running = sums.sums[index + 1]!
    }
    this.running += value
    const magnitude = Math.abs(this.running)
    if (magnitude > this.maxAbsSum) {
      // Each value is below 1e15, so a sum leaves the exact range only after thousands of rows.
      if (magnitude > Number.MAX_SAFE_INTEGER) {
        throw new DataFileError(`${this.options.key}: line ${this.line}: the ${year} sum leaves the range of exact arithmetic`)
      }
      this.maxAbsSum = magnitude
    }
    if (this.currentIsPicked && period === this.options.period) this.picked.push({year, value})
    this.rows++
  }

  private storeRunningSum(): void {
    if (this.runningSums) this.runningSums.sums[this.runningIndex + 1] = this.running
  }

  /** Make the series in [start, end) the one in hand, remembering its field up to `fieldEnd` for the next row. */
  private seriesFor(buf: Buffer, start: number, end: number, fieldEnd: number): void {
    const id = buf.toString('utf8', start, end)
    // The same id padded otherwise is still the series in hand.
    if (id !== this.currentId) {
      this.packCurrent()
      const taken = this.packer.takeBack(id)
      this.quarterly.reset(taken?.quarterly)
      this.annual.reset(taken?.annual)
      this.currentId = id
      this.currentIsPicked = id === this.options.seriesId
    }
    const field = Buffer.from(buf.subarray(start, fieldEnd))
    this.previousField = field
    this.quick?.series(field)
    this.previousWords = Int32Array.from({length: field.length >> 2}, (_, w) => field.readInt32LE(w * 4))
  }

  private packCurrent(): void {
    if (this.currentId === '') return
    this.storeRunningSum()
    this.runningSums = undefined
    this.packer.add(this.currentId, {quarterly: this.quarterly.view(), annual: this.annual.view()})
    this.currentId = ''
  }

  /** Every series' sums, packed, once the last line is scanned. */
  packedSeries(): PackedSums {
    this.packCurrent()
    return this.packer.packed()
  }

  private reject(reason: string, text: string): void {
    if (this.options.strict) {
      throw new DataFileError(`${this.options.key}: line ${this.line}: ${reason} (strict mode rejects any bad row): ${JSON.stringify(text)}`)
    }
    this.rejectedCount++
    if (this.samples.length < (this.options.sampleSize ?? 5)) this.samples.push({line: this.line, reason, text})
  }
}

/** The single-threaded scan reads into one buffer of this size, again and again. */
const READ_BYTES = 64 * 1024

/**
 * Scan a whole data file on this thread, hashing the bytes on the way (the caller checks them
 * against the MD5 the store knows).
 */
export async function scanDataFile(reader: ByteReader, options: ScanOptions): Promise<ScanResult> {
  const scanner = new DataFileScanner(options)
  const hash = createHash('md5')
  const memory = Buffer.allocUnsafe(READ_BYTES)
  let bytes = 0
  try {
    for (let read; (read = await reader.read(memory)) > 0; ) {
      const chunk = memory.subarray(0, read)
      hash.update(chunk)
      bytes += read
      scanner.push(chunk)
      options.onBytes?.(bytes)
    }
  } finally {
    await reader.close()
  }
  scanner.end()
  const series = new MergedSeries()
  series.add(scanner.packedSeries())
  return {
    md5: hash.digest('hex'),
    bytes,
    rows: scanner.rows,
    series,
    picked: scanner.picked,
    rejected: {count: scanner.rejectedCount, samples: scanner.samples},
    threads: 1,
  }
}
