import {availableParallelism} from 'node:os'
import {buffer} from 'node:stream/consumers'

import type {BestYearRow, Report, ReportInput} from '../reports/types.js'
import {writeReports, type WrittenFile} from '../reports/store.js'
import {STATS_YEARS} from '../sources/population.js'
import {md5Hex} from '../stores/md5.js'
import {BLS_PREFIX, POPULATION_KEY} from '../stores/raw-layout.js'
import {NotFoundError, type Store} from '../stores/store.js'
import type {RejectedRow, ScanResult} from './bls-data.js'
import {bestYearReport, bestYearRows, populationStatsReport, seriesPopulationReport} from './build.js'
import {scanDataFileParallel} from './parallel-scan.js'
import {populationStats, populationYears} from './population.js'
import {LOOKUP_FILES, type LookupName, seriesTitles} from './titles.js'
import {DataquestError, type Hint} from '../util/errors.js'

export {DataFileError, type RejectedRow} from './bls-data.js'
export {PopulationError} from './population.js'

/** Smaller data files are scanned on this thread: starting workers costs more than they save (npm run bench). */
export const PARALLEL_MIN_BYTES = 8 * 1024 * 1024

export const TRANSFORM_DEFAULTS = {
  dataFile: 'pr.data.0.Current',
  seriesId: 'PRS30006032',
  period: 'Q01',
  fromYear: STATS_YEARS.from,
  toYear: STATS_YEARS.to,
} as const

export interface TransformOptions {
  raw: Store
  processed: Store
  /** Data file under bls/pr/ (default pr.data.0.Current). */
  dataFile?: string
  /** Series and period of the series report (default PRS30006032, Q01). */
  seriesId?: string
  period?: string
  /** Population statistics over fromYear..toYear inclusive (default 2013..2018). */
  fromYear?: number
  toYear?: number
  /** Any rejected data row is fatal, and so is a series report without rows. */
  strict?: boolean
  /** Compute and compare, write nothing: the files say what would be written. */
  dryRun?: boolean
  /** Threads that scan the data file, this one included (default: one per core, for files of PARALLEL_MIN_BYTES or more). */
  threads?: number
  /** Called as the data file is read. */
  onProgress?: (progress: TransformProgress) => void
}

/** How far the scan of the data file is. */
export interface TransformProgress {
  bytes: number
  totalBytes: number
}

export interface TransformSummary {
  raw: string
  processed: string
  /** Store key of the data file read. */
  dataFile: string
  bytes: number
  /** Data rows accepted. */
  rows: number
  series: number
  /** Series scored on the Q05 annual average (they publish no quarters). */
  annualSeries: number
  rejected: {count: number; samples: RejectedRow[]}
  /** Threads that scanned the data file. */
  threads: number
  /** Problems that did not stop the transform (a series report without rows). */
  warnings: string[]
  dryRun: boolean
  files: WrittenFile[]
}

export interface TransformResult extends TransformSummary {
  /** population_stats, best_year_by_series, series_population. */
  reports: Report[]
}

export class TransformInputError extends DataquestError {
  constructor(message: string, options?: ErrorOptions & {hint?: Hint}) {
    super('input', message, options)
    this.name = 'TransformInputError'
  }
}

function checkParameters(dataFile: string, seriesId: string, period: string, fromYear: number, toYear: number): void {
  if (!/^[^/\\]+$/.test(dataFile) || dataFile === '.' || dataFile === '..') {
    throw new TransformInputError(`data file ${JSON.stringify(dataFile)} should be a file name under ${BLS_PREFIX}, like pr.data.0.Current`)
  }
  if (seriesId.trim() === '') throw new TransformInputError('series id is empty; use one like PRS30006032')
  if (!/^Q0[1-5]$/.test(period)) throw new TransformInputError(`period ${JSON.stringify(period)} should be one of Q01–Q05`)
  if (!Number.isInteger(fromYear) || !Number.isInteger(toYear) || fromYear > toYear) {
    throw new TransformInputError(`years ${fromYear}–${toYear} should be whole numbers, the first not after the second`)
  }
}

/** Refuse bytes that are not the ones the store recorded (folder manifest, S3 ETag or stored MD5). */
function verify(store: Store, key: string, known: string | undefined, read: string): void {
  if (known !== undefined && known !== read) {
    throw new TransformInputError(
      `${key} in ${store.location} is damaged: its bytes have MD5 ${read}, the store recorded ${known}; fetch or sync it again (no report was written)`,
    )
  }
}

/** A small object's bytes and MD5 (checked), or undefined when the store does not hold it. */
async function readSmall(store: Store, key: string): Promise<{content: string; input: ReportInput} | undefined> {
  try {
    const [info, bytes] = await Promise.all([store.stat(key, {hash: false}), store.read(key).then((stream) => buffer(stream))])
    const md5 = md5Hex(bytes)
    verify(store, key, info?.md5, md5)
    return {content: bytes.toString('utf8'), input: {key, md5}}
  } catch (error) {
    if (error instanceof NotFoundError) return undefined
    throw error
  }
}

const notFound = (store: Store, key: string): TransformInputError =>
  new TransformInputError(`${key} not found in ${store.location}: run \`dataquest fetch\` first`, {hint: {flag: ['raw', 'data-file'], say: 'or check {raw} and {data-file}'}})

/**
 * The scan, with each series' sums reduced to its best-year row: the sums (most of the memory, on
 * a big file) are garbage before the reports are written.
 */
async function scanForReports(
  titles: ReadonlyMap<string, string>,
  ...scan: Parameters<typeof scanDataFileParallel>
): Promise<Omit<ScanResult, 'series'> & {bestRows: BestYearRow[]}> {
  const {series, ...rest} = await scanDataFileParallel(...scan)
  const bestRows = bestYearRows(series, titles)
  series.release()
  return {...rest, bestRows}
}

/**
 * Raw store → processed store: read the BLS data file (streamed) and the population response,
 * compute the three reports and write those whose content changed. Nothing is written unless
 * all three were computed.
 */
export async function transformStores(options: TransformOptions): Promise<TransformResult> {
  const {raw, processed, strict = false, dryRun = false} = options
  const {dataFile, seriesId: givenSeries, period, fromYear, toYear} = {...TRANSFORM_DEFAULTS, ...definedOnly(options)}
  checkParameters(dataFile, givenSeries, period, fromYear, toYear)
  // BLS writes series ids in capitals: `prs30006011` means PRS30006011, and the report says it so.
  const seriesId = givenSeries.trim().toUpperCase()
  const dataKey = BLS_PREFIX + dataFile

  // No hashing here: the scan hashes the bytes it reads, and checks them against an MD5 the store knows.
  const dataInfo = await raw.stat(dataKey, {hash: false})
  if (!dataInfo) throw notFound(raw, dataKey)
  const populationFile = await readSmall(raw, POPULATION_KEY)
  if (!populationFile) throw notFound(raw, POPULATION_KEY)
  let populationJson: unknown
  try {
    populationJson = JSON.parse(populationFile.content)
  } catch (error) {
    throw new TransformInputError(`${POPULATION_KEY} in ${raw.location} is not JSON (${(error as Error).message}); run \`dataquest fetch\` again`, {cause: error})
  }
  const population = populationYears(populationJson, POPULATION_KEY)
  const stats = populationStats(population, fromYear, toYear)

  const lookupNames = Object.keys(LOOKUP_FILES) as LookupName[]
  const lookups = await Promise.all(lookupNames.map((name) => readSmall(raw, BLS_PREFIX + LOOKUP_FILES[name])))
  const titles = seriesTitles(Object.fromEntries(lookupNames.flatMap((name, i) => (lookups[i] ? [[name, lookups[i].content]] : []))))

  const scan = await scanForReports(titles, () => raw.reader(dataKey), {
    key: dataKey,
    seriesId,
    period: Number(period.slice(1)),
    strict,
    threads: options.threads ?? (dataInfo.size >= PARALLEL_MIN_BYTES ? availableParallelism() : 1),
    onBytes: options.onProgress && ((bytes) => options.onProgress!({bytes, totalBytes: dataInfo.size})),
  })
  verify(raw, dataKey, dataInfo.md5, scan.md5)
  // A discontinued series must not stop the other reports (the daily pipeline): its report is empty.
  const warnings: string[] = []
  if (scan.picked.length === 0) {
    const problem = `${dataKey} has no ${period} rows for series ${seriesId}`
    if (strict) {
      throw new TransformInputError(problem, {hint: {flag: ['series', 'period', 'strict'], say: 'pick another {series} or {period} ({strict} refuses an empty series report)'}})
    }
    warnings.push(`${problem}: series_population.json has no rows; pick another --series or --period`)
  }

  const dataInput: ReportInput = {key: dataKey, md5: scan.md5}
  const lookupInputs = lookups.flatMap((lookup) => (lookup ? [lookup.input] : []))
  const {bestRows} = scan
  const reports: Report[] = [
    populationStatsReport(fromYear, toYear, [populationFile.input], stats),
    bestYearReport(dataFile, [dataInput, ...lookupInputs], bestRows),
    seriesPopulationReport(seriesId, period, [dataInput, populationFile.input], scan.picked, population),
  ]
  const files = await writeReports(processed, reports, {dryRun})
  return {
    raw: raw.location,
    processed: processed.location,
    dataFile: dataKey,
    bytes: scan.bytes,
    rows: scan.rows,
    series: bestRows.length,
    annualSeries: bestRows.filter((row) => row.basis === 'annual').length,
    rejected: scan.rejected,
    threads: scan.threads,
    warnings,
    dryRun,
    files,
    reports,
  }
}

/** Options without undefined entries, so defaults fill them. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>
}
