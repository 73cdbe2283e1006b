/** Pure functions from scanned data to the three reports. */
import type {
  BestYearReport,
  BestYearRow,
  PopulationStatsReport,
  ReportInput,
  SeriesPopulationReport,
} from '../reports/types.js'
import type {MergedSeries} from './series-sums.js'
import {scaledToNumber} from './decimal.js'
import type {PopulationStats} from './population.js'

/**
 * One row per series: scored on Q01–Q04 sums, or — for series that publish no quarters at all —
 * on the Q05 annual average. Sorted by series id.
 */
export function bestYearRows(series: MergedSeries, titles: ReadonlyMap<string, string>): BestYearRow[] {
  return [...series.keys()].sort().map((id) => {
    // A series is only recorded once it has an accepted row, so it has a best year.
    const {year, sum, basis} = series.best(id)!
    const row: BestYearRow = {series_id: id, year, value: scaledToNumber(sum), basis}
    const title = titles.get(id)
    if (title !== undefined) row.title = title
    return row
  })
}

export const bestYearReport = (dataFile: string, inputs: ReportInput[], rows: BestYearRow[]): BestYearReport => ({
  report: 'best_year_by_series',
  parameters: {dataFile},
  inputs,
  rows,
})

export const populationStatsReport = (
  fromYear: number,
  toYear: number,
  inputs: ReportInput[],
  stats: PopulationStats,
): PopulationStatsReport => ({
  report: 'population_stats',
  parameters: {fromYear, toYear},
  inputs,
  result: {
    count: stats.count,
    mean: stats.mean,
    stddev: stats.stddev,
    stddevPopulation: stats.stddevPopulation,
    years: stats.years,
    missingYears: stats.missingYears,
  },
})

/** Every year of the series in the period, with that year's population or null (a left join). */
export function seriesPopulationReport(
  seriesId: string,
  period: string,
  inputs: ReportInput[],
  picked: readonly {year: number; value: number}[],
  population: ReadonlyMap<number, number | null>,
): SeriesPopulationReport {
  const rows = [...picked]
    .sort((a, b) => a.year - b.year || a.value - b.value)
    .map(({year, value}) => ({series_id: seriesId, year, period, value: scaledToNumber(value), population: population.get(year) ?? null}))
  return {report: 'series_population', parameters: {seriesId, period}, inputs, rows}
}
