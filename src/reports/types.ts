/** The three reports `dataquest transform` writes to the processed store (shapes: docs/DESIGN.md). */

/** A store key a report was computed from, and that object's MD5. */
export interface ReportInput {
  key: string
  md5: string
}

export interface PopulationStatsReport {
  report: 'population_stats'
  parameters: {fromYear: number; toYear: number}
  inputs: ReportInput[]
  result: {
    count: number
    mean: number
    /** Sample standard deviation (n−1), as pandas and Spark compute it. */
    stddev: number
    /** Population standard deviation (n). */
    stddevPopulation: number
    years: number[]
    missingYears: number[]
  }
}

export type Basis = 'quarterly' | 'annual'

export interface BestYearRow {
  series_id: string
  year: number
  /** Sum of Q01–Q04 (quarterly basis) or the Q05 annual average (annual basis). */
  value: number
  basis: Basis
  /** Sector, measure and duration, where the raw store holds the lookup files. */
  title?: string
}

export interface BestYearReport {
  report: 'best_year_by_series'
  parameters: {dataFile: string}
  inputs: ReportInput[]
  rows: BestYearRow[]
}

export interface SeriesPopulationRow {
  series_id: string
  year: number
  period: string
  value: number
  /** Null for years the population data lacks (a left join). */
  population: number | null
}

export interface SeriesPopulationReport {
  report: 'series_population'
  parameters: {seriesId: string; period: string}
  inputs: ReportInput[]
  rows: SeriesPopulationRow[]
}

export type Report = PopulationStatsReport | BestYearReport | SeriesPopulationReport
export type ReportName = Report['report']

/** `--only` names, in the order reports are printed. */
export const REPORT_CHOICES = {
  population: 'population_stats',
  'best-year': 'best_year_by_series',
  series: 'series_population',
} as const satisfies Record<string, ReportName>

export type ReportChoice = keyof typeof REPORT_CHOICES

export const REPORT_NAMES: readonly ReportName[] = Object.values(REPORT_CHOICES)

/** The processed-store key of a report. */
export const reportKey = (name: ReportName): string => `${name}.json`
