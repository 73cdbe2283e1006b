import type {HttpClient} from '../http/client.js'

/** DataUSA: US population by year (ACS 1-year estimates). */
export const POPULATION_URL =
  'https://honolulu-api.datausa.io/tesseract/data.jsonrecords?cube=acs_yg_total_population_1&drilldowns=Year%2CNation&locale=en&measures=Population'

export interface PopulationRow {
  year: number
  population: number
}

export interface Population {
  /** `current`: `Year` a number (with `Nation ID`); `legacy`: `ID Year` a number and `Year` a string. */
  shape: 'current' | 'legacy'
  rows: PopulationRow[]
  /** The response with every object's keys sorted: identical for identical content. */
  canonical: string
}

export class PopulationFormatError extends Error {
  constructor(source: string, problem: string) {
    super(`population API (${source}) ${problem}; the stored population.json was left as it was`)
    this.name = 'PopulationFormatError'
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (!isRecord(value)) return value
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]))
}

/** JSON with every object's keys sorted, two-space indented, newline-terminated. */
export const canonicalJson = (value: unknown): string => `${JSON.stringify(sortKeys(value), null, 2)}\n`

function yearOf(row: Record<string, unknown>): number | undefined {
  const year = row['ID Year'] ?? row.Year
  if (typeof year === 'number') return Number.isInteger(year) ? year : undefined
  return typeof year === 'string' && /^\d{4}$/.test(year) ? Number(year) : undefined
}

/** Validate a population API body (either shape) and give its canonical form. */
export function parsePopulation(body: string, source: string): Population {
  const start = body.trimStart()
  if (start.startsWith('<')) throw new PopulationFormatError(source, `returned an HTML page instead of JSON (${JSON.stringify(start.slice(0, 60))}…)`)
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    throw new PopulationFormatError(source, `returned invalid JSON (${(error as Error).message})`)
  }
  const data = isRecord(parsed) ? parsed.data : undefined
  if (!Array.isArray(data)) throw new PopulationFormatError(source, 'returned JSON without a "data" array')
  if (data.length === 0) throw new PopulationFormatError(source, 'returned an empty "data" array')
  const rows = data.map((row: unknown, index): PopulationRow => {
    const record = isRecord(row) ? row : {}
    const year = yearOf(record)
    const population = record.Population
    if (year === undefined || typeof population !== 'number' || !Number.isFinite(population)) {
      throw new PopulationFormatError(source, `returned data row ${index} without a year and a numeric Population: ${JSON.stringify(row).slice(0, 120)}`)
    }
    return {year, population}
  })
  return {shape: 'ID Year' in (data[0] as object) ? 'legacy' : 'current', rows, canonical: canonicalJson(parsed)}
}

export async function readPopulation(client: HttpClient, url: string): Promise<Population> {
  const body = await client.get(url, {accept: 'application/json'}, (response) => response.text())
  return parsePopulation(body, url)
}
