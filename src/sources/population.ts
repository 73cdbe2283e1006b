import type {HttpClient} from '../http/client.js'
import {isRecord} from '../util/is-record.js'
import {type PopulationRow, populationRows} from './population-rows.js'

/** DataUSA: US population by year (ACS 1-year estimates). */
export const POPULATION_URL =
  'https://honolulu-api.datausa.io/tesseract/data.jsonrecords?cube=acs_yg_total_population_1&drilldowns=Year%2CNation&locale=en&measures=Population'

export interface Population {
  /** `current`: `Year` a number (with `Nation ID`); `legacy`: `ID Year` a number and `Year` a string. */
  shape: 'current' | 'legacy'
  rows: PopulationRow[]
  /** The response with every object's keys sorted: identical for identical content. */
  canonical: string
}

export class PopulationFormatError extends Error {
  constructor(source: string, problem: string) {
    super(`population API (${source}): ${problem}; the stored population.json was left as it was`)
    this.name = 'PopulationFormatError'
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (!isRecord(value)) return value
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]))
}

/** JSON with every object's keys sorted, two-space indented, newline-terminated. */
export const canonicalJson = (value: unknown): string => `${JSON.stringify(sortKeys(value), null, 2)}\n`

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
  const rows = populationRows(parsed, (problem) => new PopulationFormatError(source, problem))
  if (rows.length === 0) throw new PopulationFormatError(source, 'returned an empty "data" array')
  const [first] = (parsed as {data: Record<string, unknown>[]}).data
  return {shape: 'ID Year' in first! ? 'legacy' : 'current', rows, canonical: canonicalJson(parsed)}
}

export async function readPopulation(client: HttpClient, url: string): Promise<Population> {
  const body = await client.get(url, {accept: 'application/json'}, (response) => response.text())
  return parsePopulation(body, url)
}
