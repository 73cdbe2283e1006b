import {App, type AppProps, Validations} from 'aws-cdk-lib'
import {AwsSolutionsChecks} from 'cdk-nag'

import {settingsFromContext} from './settings.js'
import {DataquestStack} from './stack.js'

export const STACK_NAME = 'Dataquest'

/**
 * The CDK app: one environment-agnostic stack (no account or region at synth time, so no lookups),
 * checked by cdk-nag's AwsSolutions pack: an unacknowledged finding stops the synth.
 */
export function createApp(props: AppProps): {app: App; stack: DataquestStack} {
  const app = new App(props)
  const stack = new DataquestStack(app, STACK_NAME, {
    ...settingsFromContext(app.node),
    description: 'dataquest: a daily BLS + population mirror in S3, three reports, and a log line per report',
  })
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  return {app, stack}
}
