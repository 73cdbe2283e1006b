import {Flags} from '@oclif/core'

import {TRANSFORM_DEFAULTS, type TransformOptions} from '../transform/index.js'

/** Flags of `dataquest transform`, shared with `dataquest run`. */
export const transformFlags = {
  'data-file': Flags.string({
    description: 'the BLS data file under bls/pr/ to read',
    default: TRANSFORM_DEFAULTS.dataFile,
    helpValue: 'NAME',
  }),
  series: Flags.string({description: 'series of the series/population report', default: TRANSFORM_DEFAULTS.seriesId, helpValue: 'ID'}),
  period: Flags.string({
    description: 'period of the series/population report',
    default: TRANSFORM_DEFAULTS.period,
    options: ['Q01', 'Q02', 'Q03', 'Q04', 'Q05'],
  }),
  'from-year': Flags.integer({description: 'first year of the population statistics', default: TRANSFORM_DEFAULTS.fromYear, helpValue: 'YEAR'}),
  'to-year': Flags.integer({description: 'last year of the population statistics (inclusive)', default: TRANSFORM_DEFAULTS.toYear, helpValue: 'YEAR'}),
  strict: Flags.boolean({description: 'fail on any rejected data row instead of counting and skipping it'}),
}

export interface TransformFlagValues {
  'data-file': string
  series: string
  period: string
  'from-year': number
  'to-year': number
  strict: boolean
}

/** The library options these flags stand for (stores and callbacks are the caller's). */
export const transformParameters = (flags: TransformFlagValues): Omit<TransformOptions, 'raw' | 'processed' | 'onProgress'> => ({
  dataFile: flags['data-file'],
  seriesId: flags.series,
  period: flags.period,
  fromYear: flags['from-year'],
  toYear: flags['to-year'],
  strict: flags.strict,
})
