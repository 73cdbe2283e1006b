import type {HttpClient} from '../http/client.js'
import {isRecord} from '../util/is-record.js'
import {sanitize} from '../util/sanitize.js'
import {type PopulationRow, populationByYear, populationRows} from './population-rows.js'

/** The years population_stats covers by default: a response must give at least two of them. */
export const STATS_YEARS = {from: 2013, to: 2018} as const

// A column naming a geography below the nation: the response is a State (County…) drilldown.
const SUB_NATION = /^(?:ID |Slug )?(State|County|Place|MSA|PUMA|Tract)(?: ID)?$/i

export interface Population {
  /** `current`: `Year` a number (with `Nation ID`); `legacy`: `ID Year` a number and `Year` a string. */
  shape: 'current' | 'legacy'
  rows: PopulationRow[]
  /** The response with every object's keys sorted: identical for identical content. */
  canonical: string
}

export class PopulationFormatError extends Error {
  constructor(source: string, problem: string) {
    super(sanitize(`population API (${source}): ${problem}; the stored population.json was left as it was`))
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

/**
 * Validate a population API body (either shape) before it may replace the stored copy: rows with
 * a year and a whole Population (or null), nation-level (one row per year, no State/County…
 * column), and at least two estimates in STATS_YEARS; give its canonical form.
 */
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
  const data = (parsed as {data: Record<string, unknown>[]}).data
  const [first] = data
  const geography = Object.keys(first!).find((key) => SUB_NATION.test(key))
  if (geography) throw new PopulationFormatError(source, `is not nation-level (its rows have "${geography}"); fetch the Year,Nation drilldown`)
  const byYear = populationByYear(rows, (problem) => new PopulationFormatError(source, problem))
  const {from, to} = STATS_YEARS
  const usable = [...byYear].filter(([year, population]) => year >= from && year <= to && population !== null).length
  if (usable < 2) throw new PopulationFormatError(source, `has ${usable} estimate${usable === 1 ? '' : 's'} for ${from}–${to}; the population statistics need at least 2`)
  return {shape: 'ID Year' in first! ? 'legacy' : 'current', rows, canonical: canonicalJson(parsed)}
}

/** The most of a population response read: the real one is ~2 KB. */
export const MAX_POPULATION_BYTES = 16 * 1024 * 1024

export async function readPopulation(client: HttpClient, url: string): Promise<Population> {
  const body = await client.get(url, {accept: 'application/json'}, (response) => response.text({maxBytes: MAX_POPULATION_BYTES, what: 'population API response'}))
  return parsePopulation(body, url)
}
