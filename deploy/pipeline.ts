import {Aws, Duration, RemovalPolicy, TimeZone} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as scheduler from 'aws-cdk-lib/aws-scheduler'
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets'
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks'
import {Construct} from 'constructs'

import {ALARM_PERIOD, alarmOnAny} from './alarms.js'
import {acknowledge, arnInFinding} from './nag.js'

export interface PipelineProps {
  fetch: lambda.IFunction
  transform: lambda.IFunction
  /** EventBridge Scheduler expression, evaluated in UTC. */
  schedule: string
}

/** Errors that mean Lambda itself did not run the function, or refused to for now. */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
]

/** fetch → transform as a state machine, started daily by EventBridge Scheduler, with an alarm on failure. */
export class Pipeline extends Construct {
  readonly stateMachine: sfn.StateMachine
  readonly failedAlarm: cloudwatch.Alarm

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id)
    // A handler's own error (a 403 from BLS, a bad file) is not retried here: the library already
    // retried what is worth retrying, and the execution should fail, visibly, with that cause.
    const step = (name: string, fn: lambda.IFunction, resultPath: string): sfn.TaskStateBase =>
      new tasks.LambdaInvoke(this, name, {lambdaFunction: fn, payloadResponseOnly: true, retryOnServiceExceptions: false, resultPath}).addRetry({
        errors: TRANSIENT_LAMBDA_ERRORS,
        interval: Duration.seconds(5),
        maxAttempts: 4,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      })

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY})
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'dataquest: fetch upstream into the raw bucket, then transform it into the processed bucket',
      definitionBody: sfn.DefinitionBody.fromChainable(step('Fetch', props.fetch, '$.fetch').next(step('Transform', props.transform, '$.transform'))),
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs: {destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true},
    })

    const role = this.stateMachine.role
    for (const fn of [props.fetch, props.transform]) {
      acknowledge(role, `IAM5[Resource::${arnInFinding(fn)}:*]`, 'Added by LambdaInvoke so a version or alias of this one function may be invoked.')
    }
    acknowledge(role, 'IAM5[Resource::*]', 'X-Ray trace and CloudWatch Logs delivery actions, which have no resource-level permissions.')

    // The schedule's own role, allowed only states:StartExecution on this state machine (the target grants it).
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({StringEquals: {'aws:SourceAccount': Aws.ACCOUNT_ID}}),
      description: 'EventBridge Scheduler: starts the dataquest pipeline',
    })
    new scheduler.Schedule(this, 'Schedule', {
      description: 'Starts the dataquest pipeline',
      schedule: scheduler.ScheduleExpression.expression(props.schedule, TimeZone.ETC_UTC),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        role: scheduleRole,
        // A JSON object (the steps add their results to it) that tells scheduled runs from manual ones.
        input: scheduler.ScheduleTargetInput.fromObject({trigger: 'schedule'}),
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      }),
    })

    // A timeout is a failure too.
    const failures = new cloudwatch.MathExpression({
      expression: 'failed + timedOut',
      usingMetrics: {failed: this.stateMachine.metricFailed(), timedOut: this.stateMachine.metricTimedOut()},
      period: ALARM_PERIOD,
      label: 'failed or timed-out executions',
    })
    this.failedAlarm = alarmOnAny(
      this,
      'FailedAlarm',
      failures,
      'A dataquest pipeline execution failed or timed out; its execution history names the step and the cause.',
    )
  }
}
