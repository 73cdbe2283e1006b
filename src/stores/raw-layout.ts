/** Where the raw store keeps each source (DESIGN.md, "Raw store layout"). */
export const BLS_PREFIX = 'bls/pr/'
export const POPULATION_KEY = 'datausa/population.json'
