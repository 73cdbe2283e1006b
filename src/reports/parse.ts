import {
  type Basis,
  type BestYearReport,
  type BestYearRow,
  type PopulationStatsReport,
  type Report,
  type ReportInput,
  REPORT_NAMES,
  type SeriesPopulationReport,
  type SeriesPopulationRow,
} from './types.js'
import {isRecord} from '../util/is-record.js'
import {DataquestError} from '../util/errors.js'

export class ReportFormatError extends DataquestError {
  constructor(message: string, options?: ErrorOptions) {
    super('input', message, options)
    this.name = 'ReportFormatError'
  }
}

type Json = Record<string, unknown>

/**
 * Field readers: each returns the field at `path` or throws naming it. The rebuilt objects have
 * their keys in one fixed order, so a parsed report serialises canonically.
 */
class Reader {
  constructor(private readonly report: string) {}

  fail(path: string, expected: string): never {
    throw new ReportFormatError(`not a valid ${this.report} report: ${path} should be ${expected}`)
  }

  object(value: unknown, path: string): Json {
    return isRecord(value) ? (value as Json) : this.fail(path, 'an object')
  }

  array(value: unknown, path: string): unknown[] {
    return Array.isArray(value) ? value : this.fail(path, 'an array')
  }

  string(value: unknown, path: string): string {
    return typeof value === 'string' ? value : this.fail(path, 'a string')
  }

  number(value: unknown, path: string): number {
    return typeof value === 'number' && Number.isFinite(value) ? value : this.fail(path, 'a number')
  }

  integer(value: unknown, path: string): number {
    return Number.isSafeInteger(value) ? (value as number) : this.fail(path, 'a whole number')
  }

  years(value: unknown, path: string): number[] {
    return this.array(value, path).map((year, i) => this.integer(year, `${path}[${i}]`))
  }

  inputs(value: unknown): ReportInput[] {
    return this.array(value, 'inputs').map((entry, i) => {
      const input = this.object(entry, `inputs[${i}]`)
      const md5 = this.string(input.md5, `inputs[${i}].md5`)
      if (!/^[0-9a-f]{32}$/.test(md5)) this.fail(`inputs[${i}].md5`, 'an MD5 in hex')
      return {key: this.string(input.key, `inputs[${i}].key`), md5}
    })
  }

  rows<Row>(value: unknown, read: (row: Json, path: string) => Row): Row[] {
    return this.array(value, 'rows').map((row, i) => read(this.object(row, `rows[${i}]`), `rows[${i}]`))
  }
}

function populationStats(json: Json, read: Reader): PopulationStatsReport {
  const parameters = read.object(json.parameters, 'parameters')
  const result = read.object(json.result, 'result')
  return {
    report: 'population_stats',
    parameters: {fromYear: read.integer(parameters.fromYear, 'parameters.fromYear'), toYear: read.integer(parameters.toYear, 'parameters.toYear')},
    inputs: read.inputs(json.inputs),
    result: {
      count: read.integer(result.count, 'result.count'),
      mean: read.number(result.mean, 'result.mean'),
      stddev: read.number(result.stddev, 'result.stddev'),
      stddevPopulation: read.number(result.stddevPopulation, 'result.stddevPopulation'),
      years: read.years(result.years, 'result.years'),
      missingYears: read.years(result.missingYears, 'result.missingYears'),
    },
  }
}

const BASES: readonly Basis[] = ['quarterly', 'annual']

function bestYear(json: Json, read: Reader): BestYearReport {
  const parameters = read.object(json.parameters, 'parameters')
  return {
    report: 'best_year_by_series',
    parameters: {dataFile: read.string(parameters.dataFile, 'parameters.dataFile')},
    inputs: read.inputs(json.inputs),
    rows: read.rows(json.rows, (row, path): BestYearRow => {
      const basis = row.basis as Basis
      if (!BASES.includes(basis)) read.fail(`${path}.basis`, '"quarterly" or "annual"')
      const parsed: BestYearRow = {
        series_id: read.string(row.series_id, `${path}.series_id`),
        year: read.integer(row.year, `${path}.year`),
        value: read.number(row.value, `${path}.value`),
        basis,
      }
      if (row.title !== undefined) parsed.title = read.string(row.title, `${path}.title`)
      return parsed
    }),
  }
}

function seriesPopulation(json: Json, read: Reader): SeriesPopulationReport {
  const parameters = read.object(json.parameters, 'parameters')
  return {
    report: 'series_population',
    parameters: {seriesId: read.string(parameters.seriesId, 'parameters.seriesId'), period: read.string(parameters.period, 'parameters.period')},
    inputs: read.inputs(json.inputs),
    rows: read.rows(
      json.rows,
      (row, path): SeriesPopulationRow => ({
        series_id: read.string(row.series_id, `${path}.series_id`),
        year: read.integer(row.year, `${path}.year`),
        period: read.string(row.period, `${path}.period`),
        value: read.number(row.value, `${path}.value`),
        population: row.population === null ? null : read.integer(row.population, `${path}.population`),
      }),
    ),
  }
}

const parsers = {population_stats: populationStats, best_year_by_series: bestYear, series_population: seriesPopulation}

/**
 * Recognise which report a parsed JSON value is and check its shape; returns a clean copy.
 * Throws ReportFormatError naming the first thing that is wrong.
 */
export function parseReport(json: unknown): Report {
  const name = (json as {report?: unknown} | null)?.report
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof name !== 'string' || !Object.hasOwn(parsers, name)) {
    throw new ReportFormatError(
      `not a dataquest report: expected an object whose "report" is ${REPORT_NAMES.join(', ')}; got ${describe(json, name)}`,
    )
  }
  return parsers[name as keyof typeof parsers](json as Json, new Reader(name))
}

function describe(json: unknown, name: unknown): string {
  if (Array.isArray(json)) return 'an array'
  if (typeof json !== 'object' || json === null) return String(json === null ? 'null' : typeof json)
  return name === undefined ? 'an object without "report"' : `"report": ${JSON.stringify(name)}`.slice(0, 80)
}
