import type {AwsOptions} from '../../src/aws/clients.js'
import {openStore} from '../../src/stores/open.js'
import type {Store} from '../../src/stores/store.js'
import {DataquestError} from '../../src/util/errors.js'

// The stack sets these on each function (deploy/stack.ts); a test sets them around a call.
export type HandlerEnv = Record<string, string | undefined>

/** Where AWS is: the Lambda runtime sets AWS_REGION; AWS_ENDPOINT_URL points a test at an emulator. */
export const awsOptions = (env: HandlerEnv): AwsOptions => ({endpoint: env.AWS_ENDPOINT_URL, region: env.AWS_REGION})

/** A variable the stack must have set; a missing one is a deployment error, said plainly. */
export function requireEnv(env: HandlerEnv, name: string): string {
  const value = env[name]
  if (!value) throw new Error(`${name} is not set: the stack sets it on the function (deploy/stack.ts); redeploy, or set it by hand`)
  return value
}

/** The store at the location in `name` (s3://bucket/). */
export const storeFromEnv = (env: HandlerEnv, name: 'DATAQUEST_RAW' | 'DATAQUEST_PROCESSED'): Store => openStore(requireEnv(env, name), awsOptions(env))

export type LogLevel = 'info' | 'warn' | 'error'

/**
 * One structured log event. The functions log in Lambda's JSON format, where a console call with
 * one object becomes `{"timestamp", "level", "requestId", "message": {…fields}}` (a string would
 * stay a string), so Logs Insights can query every field, and the level filters.
 */
export const logLine = (fields: Record<string, unknown>, level: LogLevel = 'info'): void => console[level](fields)

/**
 * A step's failure as one error event: the message, and the error's kind and hint (what would fix
 * it, settings named as the CLI flag they match) as fields, before the step fails with it.
 */
export function logFailure(step: string, error: unknown, fields: Record<string, unknown> = {}): void {
  const {kind, hint} = error instanceof DataquestError ? error : {kind: undefined, hint: undefined}
  logLine({step, failed: (error as Error).message, kind, hint, ...fields}, 'error')
}
