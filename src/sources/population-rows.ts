/** The rows of a DataUSA population response, in either shape the API has used. */
import {isRecord} from '../util/is-record.js'

export interface PopulationRow {
  year: number
  /** null where the API gives no estimate for the year. */
  population: number | null
}

/** Legacy rows carry `ID Year` (number) and `Year` (string); current rows `Year` (number). */
function yearOf(row: Record<string, unknown>): number | undefined {
  const candidate = row['ID Year'] ?? row.Year
  const year = typeof candidate === 'string' && /^\d{4}$/.test(candidate.trim()) ? Number(candidate) : candidate
  return typeof year === 'number' && Number.isInteger(year) ? year : undefined
}

/**
 * Every row's year and population from a parsed response; `fail(problem)` makes the error to
 * throw (its caller knows where the JSON came from). A population must be a whole number or null.
 */
export function populationRows(json: unknown, fail: (problem: string) => Error): PopulationRow[] {
  const data = isRecord(json) ? json.data : undefined
  if (!Array.isArray(data)) throw fail('has no "data" array')
  return data.map((row: unknown, index) => {
    const record = isRecord(row) ? row : {}
    const year = yearOf(record)
    if (year === undefined) throw fail(`data[${index}] has no year: ${JSON.stringify(row).slice(0, 120)}`)
    const population = record.Population ?? null
    if (population !== null && !(typeof population === 'number' && Number.isSafeInteger(population) && population >= 0)) {
      throw fail(`data[${index}] has Population ${JSON.stringify(population)}, expected a whole number`)
    }
    return {year, population}
  })
}

/**
 * Year → population, refusing a year given twice: several rows a year mean a drilldown other than
 * Nation (a State drilldown has 52 a year). `fail(problem)` makes the error, as above.
 */
export function populationByYear(rows: readonly PopulationRow[], fail: (problem: string) => Error): Map<number, number | null> {
  const byYear = new Map<number, number | null>()
  for (const {year, population} of rows) {
    if (byYear.has(year)) {
      const count = rows.filter((row) => row.year === year).length
      throw fail(`has ${count} rows for ${year}: a drilldown other than Nation (State, County…); fetch the Year,Nation drilldown`)
    }
    byYear.set(year, population)
  }
  return byYear
}
