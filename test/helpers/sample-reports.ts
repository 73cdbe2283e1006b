import type {PopulationStatsReport, SeriesPopulationReport} from '../../src/reports/index.js'

/** Small self-made reports of the shapes DESIGN.md gives (not computed from real data). */
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
