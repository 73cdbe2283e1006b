/**
 * The flat tables as Parquet. hyparquet-writer's `parquetWriteBuffer` takes any column through one
 * generic path per value (dictionary trials, nested levels, a TextEncoder call per string) and
 * compresses with Snappy in JavaScript: 0.2 s for the 28,200 rows of a 150 MB data file, a sixth of
 * the transform (docs/benchmarks.md). These tables are flat, every column OPTIONAL, and need one
 * encoding, so the column pages are made here and compressed by Node's zlib (GZIP: every Parquet
 * reader has it, and it is native); hyparquet-writer still writes what is easy to get subtly wrong,
 * the page headers' and footer's Thrift and the statistics' byte forms.
 *
 * Layout: row groups of ROW_GROUP_ROWS rows, one DATA_PAGE_V2 page per column in each: definition
 * levels as RLE runs, values PLAIN and GZIP-compressed; min, max and null count per column chunk.
 */
import {gzipSync} from 'node:zlib'

import type {ColumnChunk, RowGroup, SchemaElement} from 'hyparquet'
import {ByteWriter} from 'hyparquet-writer'
import {writePageHeader} from 'hyparquet-writer/src/datapage.js'
import {writeMetadata} from 'hyparquet-writer/src/metadata.js'

import {writeAscii} from '../util/ascii.js'
import {type FlatColumn, type FlatTable, type FlatType, VALUE_SCALE} from './flat-files.js'

/** Rows per row group: a reader's unit of parallel work and of skipping by statistics. */
export const ROW_GROUP_ROWS = 100_000

const SCHEMA: Record<FlatType, Omit<SchemaElement, 'name'>> = {
  string: {type: 'BYTE_ARRAY', converted_type: 'UTF8'},
  int32: {type: 'INT32'},
  int64: {type: 'INT64'},
  double: {type: 'DOUBLE'},
  decimal: {type: 'INT64', converted_type: 'DECIMAL', scale: VALUE_SCALE, precision: 18},
}

const MAGIC = 0x31524150 // "PAR1", little-endian
const TWO_32 = 2 ** 32

type Value = string | number | null

/** The PLAIN bytes of the non-null values, with their count and their min and max (in the column's logical form). */
interface Plain {
  bytes: Uint8Array
  count: number
  min?: Value
  max?: Value
}

/** An INT64 from a safe integer, as two 32-bit halves (no BigInt per value). */
function setInt64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true)
  view.setInt32(at + 4, Math.floor(value / TWO_32), true)
}

function plainNumbers(values: readonly Value[], type: Exclude<FlatType, 'string'>): Plain {
  const width = type === 'int32' ? 4 : 8
  const bytes = new Uint8Array(values.length * width)
  const view = new DataView(bytes.buffer)
  let at = 0
  let min: number | undefined
  let max: number | undefined
  // Indexed loops here and in plainStrings: `for of` makes an iterator result per value until the
  // code is optimized, which a file's one pass never waits for (fresh memory: docs/benchmarks.md).
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number | null
    if (value === null) continue
    if (type === 'int32') view.setInt32(at, value, true)
    else if (type === 'double') view.setFloat64(at, value, true)
    else setInt64(view, at, type === 'decimal' ? Math.round(value * 10 ** VALUE_SCALE) : value)
    at += width
    // Parquet's statistics leave NaN out.
    if (Number.isNaN(value)) continue
    if (min === undefined || value < min) min = value
    if (max === undefined || value > max) max = value
  }
  // The spec's signed zeros: a min of zero is -0, a max +0.
  if (min === 0) min = -0
  if (max === 0) max = 0
  return {bytes: bytes.subarray(0, at), count: at / width, min, max}
}

/**
 * Length-prefixed UTF-8, with min and max in byte order (Parquet's for UTF8). The common case, all
 * ASCII, writes each string where its length said it would go, and JavaScript's string order is byte
 * order there.
 */
function plainStrings(values: readonly Value[]): Plain {
  let count = 0
  let chars = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string | null
    if (value === null) continue
    count++
    chars += value.length
  }
  const bytes = Buffer.allocUnsafe(4 * count + chars)
  let at = 0
  let min: string | undefined
  let max: string | undefined
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string | null
    if (value === null) continue
    bytes.writeUInt32LE(value.length, at)
    at = writeAscii(bytes, value, at + 4)
    if (at === -1) return plainUtf8(values)
    if (min === undefined || value < min) min = value
    if (max === undefined || value > max) max = value
  }
  return {bytes, count, min, max}
}

/** plainStrings for text beyond ASCII: byte lengths one by one, min and max compared where they lie. */
function plainUtf8(values: readonly Value[]): Plain {
  const strings = (values as readonly (string | null)[]).filter((value) => value !== null)
  const bytes = Buffer.allocUnsafe(4 * strings.length + strings.reduce((sum, value) => sum + Buffer.byteLength(value), 0))
  let at = 0
  let min = -1
  let max = -1
  let minEnd = 0
  let maxEnd = 0
  for (const value of strings) {
    const start = at + 4
    at = start + bytes.write(value, start)
    bytes.writeUInt32LE(at - start, start - 4)
    if (min < 0 || bytes.compare(bytes, min, minEnd, start, at) < 0) [min, minEnd] = [start, at]
    if (max < 0 || bytes.compare(bytes, max, maxEnd, start, at) > 0) [max, maxEnd] = [start, at]
  }
  // Never empty: it holds the text beyond ASCII that sent it here.
  return {bytes, count: strings.length, min: bytes.toString('utf8', min, minEnd), max: bytes.toString('utf8', max, maxEnd)}
}

/** Definition levels (1 = a value, 0 = null) as RLE runs of the hybrid encoding, bit width 1. */
function definitionLevels(values: readonly Value[], count: number): Uint8Array {
  const writer = new ByteWriter(16)
  const run = (length: number, present: boolean): void => {
    writer.appendVarInt(length << 1)
    writer.appendUint8(present ? 1 : 0)
  }
  if (count === values.length) run(count, true)
  else {
    let start = 0
    for (let i = 1; i <= values.length; i++) {
      if (i < values.length && (values[i] === null) === (values[start] === null)) continue
      run(i - start, values[start] !== null)
      start = i
    }
  }
  return writer.getBytes()
}

/** One column of one row group: its page, written at the writer's end, and the chunk's metadata. */
function writeColumnChunk(writer: ByteWriter, {name, type, values}: FlatColumn): ColumnChunk {
  const start = writer.offset
  const plain = type === 'string' ? plainStrings(values) : plainNumbers(values, type)
  const levels = definitionLevels(values, plain.count)
  const compressed = gzipSync(plain.bytes)
  const nulls = values.length - plain.count
  writePageHeader(writer, {
    type: 'DATA_PAGE_V2',
    uncompressed_page_size: levels.length + plain.bytes.length,
    compressed_page_size: levels.length + compressed.length,
    data_page_header_v2: {
      num_values: values.length,
      num_nulls: nulls,
      num_rows: values.length,
      encoding: 'PLAIN',
      definition_levels_byte_length: levels.length,
      repetition_levels_byte_length: 0,
      is_compressed: true,
    },
  })
  const headerSize = writer.offset - start
  writer.appendBytes(levels)
  writer.appendBytes(compressed)
  return {
    file_offset: BigInt(start),
    meta_data: {
      type: SCHEMA[type].type!,
      encodings: ['PLAIN', 'RLE'],
      path_in_schema: [name],
      codec: 'GZIP',
      num_values: BigInt(values.length),
      total_uncompressed_size: BigInt(headerSize + levels.length + plain.bytes.length),
      total_compressed_size: BigInt(writer.offset - start),
      data_page_offset: BigInt(start),
      statistics: {null_count: BigInt(nulls), min_value: plain.min ?? undefined, max_value: plain.max ?? undefined},
    },
  }
}

/**
 * The table as a Parquet file. No timestamps and a fixed `created_by`: the same table gives the same
 * bytes, so an unchanged report is not rewritten.
 */
export function flatParquet(table: FlatTable): Uint8Array {
  const writer = new ByteWriter(1024 + table.rows * 8 * table.columns.length)
  writer.appendUint32(MAGIC)
  const rowGroups: RowGroup[] = []
  for (let first = 0; first < table.rows; first += ROW_GROUP_ROWS) {
    const groupStart = writer.offset
    const last = Math.min(first + ROW_GROUP_ROWS, table.rows)
    // One group, the common case, takes the columns as they are: a copy of each costs fresh memory.
    const whole = first === 0 && last === table.rows
    const columns = table.columns.map((column) => writeColumnChunk(writer, whole ? column : {...column, values: column.values.slice(first, last)}))
    rowGroups.push({
      columns,
      num_rows: BigInt(last - first),
      total_byte_size: columns.reduce((sum, {meta_data}) => sum + meta_data!.total_uncompressed_size, 0n),
      total_compressed_size: BigInt(writer.offset - groupStart),
    })
  }
  writeMetadata(writer, {
    version: 2,
    created_by: 'dataquest',
    schema: [
      {name: 'root', num_children: table.columns.length},
      ...table.columns.map(({name, type}) => ({name, repetition_type: 'OPTIONAL' as const, ...SCHEMA[type]})),
    ],
    num_rows: BigInt(table.rows),
    row_groups: rowGroups,
    key_value_metadata: [{key: 'dataquest.report', value: table.report}],
    // Not written: writeMetadata writes the footer's real length after it.
    metadata_length: 0,
  })
  writer.appendUint32(MAGIC)
  // A copy of the bytes written, not a view of the larger buffer behind them.
  return new Uint8Array(writer.getBuffer())
}
