/** The stored DataUSA population response as year → population, and statistics over it. */
import type {PopulationStatsReport} from '../reports/types.js'
import {populationByYear, populationRows} from '../sources/population-rows.js'
import {DataquestError} from '../util/errors.js'

export class PopulationError extends DataquestError {
  constructor(message: string) {
    super('input', message)
    this.name = 'PopulationError'
  }
}

export type PopulationStats = PopulationStatsReport['result']

/** Year → population (null where the API gives none) from a parsed response, one row per year. */
export function populationYears(json: unknown, key: string): Map<number, number | null> {
  const fail = (problem: string): Error => new PopulationError(`${key}: ${problem}; run \`dataquest fetch\` again`)
  return populationByYear(populationRows(json, fail), fail)
}

/** Count, mean and standard deviations of the populations in fromYear..toYear (inclusive). */
export function populationStats(byYear: ReadonlyMap<number, number | null>, fromYear: number, toYear: number): PopulationStats {
  const years: number[] = []
  const missingYears: number[] = []
  const values: bigint[] = []
  for (let year = fromYear; year <= toYear; year++) {
    const population = byYear.get(year)
    if (population === null || population === undefined) {
      missingYears.push(year)
    } else {
      years.push(year)
      values.push(BigInt(population))
    }
  }
  const n = values.length
  if (n < 2) {
    throw new PopulationError(`population data has ${n} usable year${n === 1 ? '' : 's'} in ${fromYear}–${toYear}; at least 2 are needed for a standard deviation`)
  }
  // Whole numbers: the sums are exact in BigInt, and n·Σx² − (Σx)² is n² times the population variance.
  const sum = values.reduce((a, b) => a + b, 0n)
  const sumOfSquares = values.reduce((a, b) => a + b * b, 0n)
  const spread = Number(BigInt(n) * sumOfSquares - sum * sum)
  return {
    count: n,
    mean: Number(sum) / n,
    stddev: Math.sqrt(spread / (n * (n - 1))),
    stddevPopulation: Math.sqrt(spread / (n * n)),
    years,
    missingYears,
  }
}
