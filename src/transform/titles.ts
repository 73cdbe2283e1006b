import Papa from 'papaparse'

/** The BLS lookup files a series title is built from (in key order, as report inputs list them). */
export const LOOKUP_FILES = {
  duration: 'pr.duration',
  measure: 'pr.measure',
  sector: 'pr.sector',
  series: 'pr.series',
} as const

export type LookupName = keyof typeof LOOKUP_FILES

type Row = Record<string, string | undefined>

/** A small tab-separated BLS file as rows keyed by trimmed header names, every field trimmed. */
function parseLookup(text: string): Row[] {
  return Papa.parse<Row>(text, {
    delimiter: '\t',
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (header) => header.trim(),
    transform: (value) => value.trim(),
  }).data
}

const codeToText = (rows: Row[] | undefined, code: string, text: string): Map<string, string> =>
  new Map((rows ?? []).flatMap((row) => (row[code] && row[text] ? [[row[code], row[text]] as const] : [])))

/**
 * Series id → readable title ("Manufacturing — Labor productivity (output per hour) — % Change
 * same quarter 1 year ago"), from whichever lookup files are present. Missing files leave titles
 * shorter, or absent when pr.series itself is missing.
 */
export function seriesTitles(files: Partial<Record<LookupName, string>>): Map<string, string> {
  const parse = (name: LookupName): Row[] | undefined => (files[name] === undefined ? undefined : parseLookup(files[name]))
  const sectors = codeToText(parse('sector'), 'sector_code', 'sector_name')
  const measures = codeToText(parse('measure'), 'measure_code', 'measure_text')
  const durations = codeToText(parse('duration'), 'duration_code', 'duration_text')
  const titles = new Map<string, string>()
  for (const row of parse('series') ?? []) {
    const parts = [sectors.get(row.sector_code ?? ''), measures.get(row.measure_code ?? ''), durations.get(row.duration_code ?? '')]
    const title = parts.filter((part) => part !== undefined).join(' — ')
    if (row.series_id && title) titles.set(row.series_id, title)
  }
  return titles
}
