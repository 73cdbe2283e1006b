import type {BestYearReport, PopulationStatsReport, SeriesPopulationReport} from '../../src/reports/index.js'

/** Small self-made reports of the shapes docs/DESIGN.md gives (not computed from real data). */
export const populationReport = (fromYear = 2013, toYear = 2018): PopulationStatsReport => ({
  report: 'population_stats',
  parameters: {fromYear, toYear},
  inputs: [{key: 'datausa/population.json', md5: '0123456789abcdef0123456789abcdef'}],
  result: {count: 2, mean: 316000000, stddev: 2828427.12, stddevPopulation: 2000000, years: [2013, 2014], missingYears: []},
})

export const seriesReport = (): SeriesPopulationReport => ({
  report: 'series_population',
  parameters: {seriesId: 'PRS30006032', period: 'Q01'},
  inputs: [{key: 'bls/pr/pr.data.0.Current', md5: 'fedcba9876543210fedcba9876543210'}],
  rows: [
    {series_id: 'PRS30006032', year: 2019, period: 'Q01', value: -1.7, population: 328239523},
    {series_id: 'PRS30006032', year: 2020, period: 'Q01', value: -7.5, population: null},
  ],
})

/** A best-year report of `count` series (titles included), as a large upstream would give. */
export const bigBestYear = (count: number): BestYearReport => ({
  report: 'best_year_by_series',
  parameters: {dataFile: 'pr.data.0.Current'},
  inputs: [{key: 'bls/pr/pr.data.0.Current', md5: '0123456789abcdef0123456789abcdef'}],
  rows: Array.from({length: count}, (_, i) => ({
    series_id: `PRS${String(i).padStart(8, '0')}`,
    year: 1990 + (i % 30),
    value: (i % 7) * 1.25 - 3,
    basis: i % 5 === 0 ? ('annual' as const) : ('quarterly' as const),
    title: 'Manufacturing — Employment — % Change same quarter 1 year ago',
  })),
})
