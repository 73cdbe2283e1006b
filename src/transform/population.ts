/** DataUSA population responses, in either shape the API has used, and statistics over them. */
import type {PopulationStatsReport} from '../reports/types.js'

export class PopulationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PopulationError'
  }
}

export type PopulationStats = PopulationStatsReport['result']

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The year of a row: legacy rows carry `ID Year` (number) and `Year` (string); current rows `Year` (number). */
function yearOf(row: Record<string, unknown>): number | undefined {
  const candidate = row['ID Year'] ?? row.Year
  const year = typeof candidate === 'string' && /^\d{4}$/.test(candidate.trim()) ? Number(candidate) : candidate
  return typeof year === 'number' && Number.isInteger(year) ? year : undefined
}

/**
 * Year → population (null where the API gives none) from a parsed response. One row per year is
 * expected: several mean a drilldown other than Nation (State, County…), which is refused.
 */
export function parsePopulation(json: unknown, key: string): Map<number, number | null> {
  const data = isRecord(json) ? json.data : undefined
  if (!Array.isArray(data)) throw new PopulationError(`${key} is not a DataUSA response: it has no "data" array`)
  const byYear = new Map<number, number | null>()
  const rowsPerYear = new Map<number, number>()
  for (const [index, row] of data.entries()) {
    const year = isRecord(row) ? yearOf(row) : undefined
    if (year === undefined) throw new PopulationError(`${key}: data[${index}] has no Year`)
    const population = (row as Record<string, unknown>).Population
    const usable = typeof population === 'number' && Number.isSafeInteger(population) && population >= 0
    if (!usable && population !== null && population !== undefined) {
      throw new PopulationError(`${key}: data[${index}] has Population ${JSON.stringify(population)}, expected a whole number`)
    }
    rowsPerYear.set(year, (rowsPerYear.get(year) ?? 0) + 1)
    byYear.set(year, usable ? population : null)
  }
  const repeated = [...rowsPerYear].find(([, rows]) => rows > 1)
  if (repeated) {
    throw new PopulationError(
      `${key} has ${repeated[1]} rows for ${repeated[0]}: a drilldown other than Nation (State, County…); fetch the Year,Nation drilldown`,
    )
  }
  return byYear
}

/** Count, mean and standard deviations of the populations in fromYear..toYear (inclusive). */
export function populationStats(byYear: ReadonlyMap<number, number | null>, fromYear: number, toYear: number): PopulationStats {
  const years: number[] = []
  const missingYears: number[] = []
  const values: bigint[] = []
  for (let year = fromYear; year <= toYear; year++) {
    const population = byYear.get(year)
    if (population === null || population === undefined) {
      missingYears.push(year)
    } else {
      years.push(year)
      values.push(BigInt(population))
    }
  }
  const n = values.length
  if (n < 2) {
    throw new PopulationError(`population data has ${n} usable year${n === 1 ? '' : 's'} in ${fromYear}–${toYear}; at least 2 are needed for a standard deviation`)
  }
  // Whole numbers: the sums are exact in BigInt, and n·Σx² − (Σx)² is n² times the population variance.
  const sum = values.reduce((a, b) => a + b, 0n)
  const sumOfSquares = values.reduce((a, b) => a + b * b, 0n)
  const spread = Number(BigInt(n) * sumOfSquares - sum * sum)
  return {
    count: n,
    mean: Number(sum) / n,
    stddev: Math.sqrt(spread / (n * (n - 1))),
    stddevPopulation: Math.sqrt(spread / (n * n)),
    years,
    missingYears,
  }
}
