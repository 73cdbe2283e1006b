/** Where the raw store keeps each source (docs/DESIGN.md, "Raw store layout"). */

/** Every survey's folder is under this prefix. */
export const BLS_ROOT_PREFIX = 'bls/'
/** Survey `survey`'s files: `bls/<survey>/`. */
export const blsPrefix = (survey: string): string => `${BLS_ROOT_PREFIX}${survey}/`
/** The productivity survey's files, which transform reads. */
export const BLS_PREFIX = blsPrefix('pr')
/** The population API's folder, and its one file. */
export const POPULATION_PREFIX = 'datausa/'
export const POPULATION_KEY = `${POPULATION_PREFIX}population.json`

/** BLS files are plain text, whatever their names end with (`pr.data.0.Current`). */
export const BLS_CONTENT_TYPE = 'text/plain'

/** The true type of a raw store's file, for the writers that copy one (sync): BLS files are plain text, the population and reports JSON. */
export const contentTypeFor = (key: string): string | undefined =>
  key.endsWith('.json') ? 'application/json' : key.startsWith('bls/') ? BLS_CONTENT_TYPE : undefined
