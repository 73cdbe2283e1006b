// Lambda: `dataquest transform` from the raw bucket into the processed bucket (the state machine's second step).
import {type TransformSummary, transformStores} from '../../src/transform/index.js'
import {logFailure, logLine, storeFromEnv} from './environment.js'

/**
 * Environment: DATAQUEST_RAW and DATAQUEST_PROCESSED (s3://bucket/). Writes the three reports (only
 * those whose content changed, so an unchanged day sends no SQS message) and returns the summary.
 */
export async function handler(): Promise<TransformSummary> {
  const env = process.env
  try {
    const {reports: _reports, ...summary} = await transformStores({raw: storeFromEnv(env, 'DATAQUEST_RAW'), processed: storeFromEnv(env, 'DATAQUEST_PROCESSED')})
    logLine({step: 'transform', summary})
    return summary
  } catch (error) {
    logFailure('transform', error)
    throw error
  }
}
