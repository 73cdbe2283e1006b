// Lambda: `dataquest fetch` into the raw bucket (the state machine's first step).
import {FetchError, type FetchSummary, fetchUpstream} from '../../src/fetch/index.js'
import {logLine, requireEnv, storeFromEnv} from './environment.js'

/**
 * Environment: DATAQUEST_RAW (s3://raw-bucket/), DATAQUEST_CONTACT, DATAQUEST_VERSION,
 * DATAQUEST_BLS_URL and DATAQUEST_POPULATION_URL (the stack sets the library's defaults). Returns the fetch summary (the execution's output);
 * a failed fetch throws, which fails the execution with the error's name and message.
 */
export async function handler(): Promise<FetchSummary> {
  const env = process.env
  try {
    const summary = await fetchUpstream({
      store: storeFromEnv(env, 'DATAQUEST_RAW'),
      contact: env.DATAQUEST_CONTACT,
      version: requireEnv(env, 'DATAQUEST_VERSION'),
      blsUrl: requireEnv(env, 'DATAQUEST_BLS_URL'),
      populationUrl: requireEnv(env, 'DATAQUEST_POPULATION_URL'),
      onProgress: (event) => {
        if (event.type === 'warning' || event.type === 'retry') logLine({step: 'fetch', ...event})
      },
    })
    logLine({step: 'fetch', summary})
    return summary
  } catch (error) {
    // What was done before the failure still matters: log it, then fail the step.
    if (error instanceof FetchError) logLine({step: 'fetch', failed: error.message, summary: error.summary})
    throw error
  }
}
