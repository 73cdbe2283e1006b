// Where the sources live and what a BLS survey code is: constants and pure parsing, with no HTTP
// client behind them, so that the flag definitions every command loads stay cheap (docs/benchmarks.md: start-up).

/** The BLS time series root: one directory per survey (`pr/`, `cu/`, …). */
export const BLS_ROOT = 'https://download.bls.gov/pub/time.series/'
/** The productivity survey, the one the reports read. */
export const REPORT_SURVEY = 'pr'
/** The BLS productivity (`pr`) directory. */
export const BLS_URL = `${BLS_ROOT}${REPORT_SURVEY}/`

/** BLS survey codes are two letters (`pr`, `cu`, `ce`, `la`…): safe as a path segment and a store prefix. */
export const SURVEY_CODE = /^[a-z]{2}$/

/** A survey code that is not one: names it and says what a code looks like. */
export class SurveyCodeError extends Error {
  constructor(readonly code: string) {
    super(`${JSON.stringify(code)} is not a BLS survey code: give two letters, like pr, cu or ce (comma-separated), or all`)
    this.name = 'SurveyCodeError'
  }
}

/**
 * `pr,CU, ce` → `['pr', 'cu', 'ce']` (trimmed, lower-cased, duplicates dropped); `all` → 'all'.
 * Throws SurveyCodeError naming the first bad code.
 */
export function parseSurveyList(text: string): string[] | 'all' {
  const codes = text.split(',').map((code) => code.trim().toLowerCase())
  if (codes.length === 1 && codes[0] === 'all') return 'all'
  const bad = codes.find((code) => !SURVEY_CODE.test(code))
  if (bad !== undefined) throw new SurveyCodeError(bad)
  return [...new Set(codes)]
}

/** Survey `survey`'s directory under `root` (with or without its trailing slash). */
export const surveyUrl = (root: string, survey: string): string => new URL(`${survey}/`, root.endsWith('/') ? root : `${root}/`).href

/** DataUSA: US population by year (ACS 1-year estimates). */
export const POPULATION_URL =
  'https://honolulu-api.datausa.io/tesseract/data.jsonrecords?cube=acs_yg_total_population_1&drilldowns=Year%2CNation&locale=en&measures=Population'
