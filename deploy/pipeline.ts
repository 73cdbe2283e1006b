import {Aws, Duration, Fn, RemovalPolicy, Stack, TimeZone} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as scheduler from 'aws-cdk-lib/aws-scheduler'
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks'
import {Construct} from 'constructs'

import {REPORT_SURVEY} from '../src/sources/upstream.js'
import {ALARM_PERIOD, alarmOnAny, alarmOnNone} from './alarms.js'
import {acknowledge, arnInFinding} from './nag.js'
import {stackInstanceId} from './storage.js'

export interface PipelineProps {
  fetch: lambda.IFunction
  transform: lambda.IFunction
  /** EventBridge Scheduler expression, evaluated in UTC. */
  schedule: string
  /** Hours without a succeeded execution before the heartbeat alarm goes off. */
  heartbeatHours: number
}

/** Errors that mean Lambda itself did not run the function, or refused to for now. */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
]

// Each fetch sends at most 4 requests at once; two surveys at a time keep BLS at 8, which it tolerates.
export const MAX_CONCURRENT_SURVEYS = 2

/**
 * fetch → transform as a state machine, started daily by EventBridge Scheduler:
 *
 *   ListSurveys ({"mode":"surveys"})
 *   → FetchAll: ┌ Map over the surveys ({"survey":"cu"}), a failure caught per survey
 *               └ the population ({"population":true}), its failure caught too
 *   → Tally: did any fail; did pr or the population (the transform's inputs)
 *   → InputsFetched? → no: FetchFailed (fails the execution, naming what failed, after all finished)
 *   → Transform → AnyFailed? → FetchFailed, or Done
 *
 * with alarms on a failed or timed-out execution and on no success for `heartbeatHours`.
 */
export class Pipeline extends Construct {
  readonly stateMachine: sfn.StateMachine
  readonly failedAlarm: cloudwatch.Alarm
  readonly heartbeatAlarm: cloudwatch.Alarm
  readonly scheduleDeadLetterAlarm: cloudwatch.Alarm

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id)
    // A handler's own error (a 403 from BLS, a bad file) is not retried here: the library already
    // retried what is worth retrying, and the execution should fail, visibly, with that cause.
    const step = (name: string, fn: lambda.IFunction, options: {payload?: sfn.TaskInput; resultPath?: string; resultSelector?: Record<string, unknown>}) =>
      new tasks.LambdaInvoke(this, name, {lambdaFunction: fn, payloadResponseOnly: true, retryOnServiceExceptions: false, ...options}).addRetry({
        errors: TRANSIENT_LAMBDA_ERRORS,
        interval: Duration.seconds(5),
        maxAttempts: 4,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      })
    // One fetch (a survey or the population) as an outcome: its input {fetched, ok: true, status:
    // "<name> fetched"} plus the summary, or {fetched, ok: false, status: "<name> failed", error, cause},
    // either one going on to `then` when given.
    const fetchOutcome = (name: string, payload: sfn.TaskInput, then?: sfn.State): sfn.IChainable => {
      const failed = new sfn.Pass(this, `${name}Failed`, {
        parameters: {
          'fetched.$': '$.fetched',
          ok: false,
          'status.$': "States.Format('{} failed', $.fetched)",
          'error.$': '$.error.Error',
          'cause.$': '$.error.Cause',
        },
      })
      const task = step(name, props.fetch, {payload, resultPath: '$.summary'}).addCatch(failed, {errors: [sfn.Errors.ALL], resultPath: '$.error'})
      if (!then) return task
      failed.next(then)
      return task.next(then)
    }

    const listSurveys = step('ListSurveys', props.fetch, {
      payload: sfn.TaskInput.fromObject({mode: 'surveys'}),
      resultSelector: {'surveys.$': '$.surveys'},
      resultPath: '$.plan',
    })
    const surveys = new sfn.Map(this, 'FetchSurveys', {
      comment: 'One fetch per survey; a failed one is recorded and the others go on',
      itemsPath: '$.plan.surveys',
      itemSelector: {'fetched.$': '$$.Map.Item.Value', ok: true, 'status.$': "States.Format('{} fetched', $$.Map.Item.Value)"},
      maxConcurrency: MAX_CONCURRENT_SURVEYS,
    }).itemProcessor(fetchOutcome('FetchSurvey', sfn.TaskInput.fromObject({survey: sfn.JsonPath.stringAt('$.fetched')})))
    // A one-item list, so that both branches' outcomes flatten into one list below.
    const populationOutcome = new sfn.Pass(this, 'PopulationOutcome', {parameters: {'list.$': 'States.Array($)'}, outputPath: '$.list'})
    const population = new sfn.Pass(this, 'Population', {result: sfn.Result.fromObject({fetched: 'population', ok: true, status: 'population fetched'})}).next(
      fetchOutcome('FetchPopulation', sfn.TaskInput.fromObject({population: true}), populationOutcome),
    )

    // No JSONPath filter (`[?(@.ok == false)]`) and no intrinsic function in the Fail state: AWS and
    // the ASL interpreter the suite runs this with (test/deploy-execution.test.ts) differ there (an
    // empty or one-item filter match; States.Format in CausePath). A wildcard over the outcomes always
    // matches two or more (the population and at least one survey), which both read as a list.
    const fetchAll = new sfn.Parallel(this, 'FetchAll', {
      comment: 'The surveys and the population, side by side',
      resultSelector: {'outcomes.$': '$[*][*]', 'ok.$': '$[*][*].ok', 'status.$': '$[*][*].status'},
      resultPath: '$.fetch',
    }).branch(surveys, population)
    const tally = new sfn.Pass(this, 'Tally', {
      comment: 'Did any fetch fail, did the transform\'s own inputs (pr, the population), and the cause to name them',
      parameters: {
        'anyFailed.$': 'States.ArrayContains($.fetch.ok, false)',
        'prFailed.$': `States.ArrayContains($.fetch.status, '${REPORT_SURVEY} failed')`,
        'populationFailed.$': "States.ArrayContains($.fetch.status, 'population failed')",
        'cause.$': "States.Format('fetch failed (the others finished): {}; the errors are in the output of the FetchAll step', States.JsonToString($.fetch.status))",
      },
      resultPath: '$.tally',
    })

    const fetchFailed = new sfn.Fail(this, 'FetchFailed', {error: 'FetchFailed', causePath: '$.tally.cause'})
    const transform = step('Transform', props.transform, {resultPath: '$.transform'})
    // The reports are current whenever their inputs are, even if another survey failed; the execution
    // fails afterwards all the same, naming what failed (and the failed-execution alarm goes off).
    const afterTransform = new sfn.Choice(this, 'AnyFailed').when(sfn.Condition.booleanEquals('$.tally.anyFailed', true), fetchFailed).otherwise(new sfn.Succeed(this, 'Done'))
    const definition = listSurveys
      .next(fetchAll)
      .next(tally)
      .next(new sfn.Choice(this, 'InputsFetched')
        .when(sfn.Condition.or(sfn.Condition.booleanEquals('$.tally.prFailed', true), sfn.Condition.booleanEquals('$.tally.populationFailed', true)), fetchFailed)
       .otherwise(transform.next(afterTransform)))

    const stack = Stack.of(this)
    // Under /aws/vendedlogs/ CloudWatch Logs needs no resource policy entry per log group (its size is limited).
    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: Fn.join('', ['/aws/vendedlogs/states/', stack.stackName, '-pipeline-', stackInstanceId(this)]),
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    })
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'dataquest: fetch each survey and the population into the raw bucket, then transform it into the processed bucket',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // Surveys run two at a time, each fetch at most 15 minutes.
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: {destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true},
    })

    const role = this.stateMachine.role
    for (const fn of [props.fetch, props.transform]) {
      acknowledge(role, `IAM5[Resource::${arnInFinding(fn)}:*]`, 'Added by LambdaInvoke so a version or alias of this one function may be invoked.')
    }
    acknowledge(role, 'IAM5[Resource::*]', 'X-Ray trace and CloudWatch Logs delivery actions, which have no resource-level permissions.')

    // The schedule's own role, allowed only states:StartExecution on this state machine (the target
    // grants it), and assumable only by EventBridge Scheduler for schedules of this account's default
    // group: AWS checks aws:SourceArn against the schedule GROUP's ARN ("Confused deputy prevention in
    // EventBridge Scheduler": do not scope it to one schedule), as CDK's own default scheduler role does.
    const scheduleName = `${stack.stackName.slice(0, 55)}-pipeline`
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: {'aws:SourceAccount': Aws.ACCOUNT_ID},
        ArnEquals: {'aws:SourceArn': `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule-group/default`},
      }),
      description: 'EventBridge Scheduler: starts the dataquest pipeline',
    })
    // A start that fails after the retries lands here (and sets off its alarm) instead of vanishing.
    const scheduleDeadLetters = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    })
    acknowledge(scheduleDeadLetters, 'SQS3', 'This queue is itself a dead-letter queue (the schedule target\'s); nothing consumes it, its alarm does.')
    new scheduler.Schedule(this, 'Schedule', {
      scheduleName,
      description: 'Starts the dataquest pipeline',
      schedule: scheduler.ScheduleExpression.expression(props.schedule, TimeZone.ETC_UTC),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        role: scheduleRole,
        // A JSON object (the steps add their results to it) that tells scheduled runs from manual ones.
        input: scheduler.ScheduleTargetInput.fromObject({trigger: 'schedule'}),
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: scheduleDeadLetters,
      }),
    })

    // A timeout is a failure too. Each metric is filled with 0: a period without timeouts has no
    // ExecutionsTimedOut datapoint at all, and metric math over a missing datapoint yields none, which
    // the alarm would read as "not breaching" even with failures.
    const failures = new cloudwatch.MathExpression({
      expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
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
    this.heartbeatAlarm = alarmOnNone(
      this,
      'HeartbeatAlarm',
      this.stateMachine.metricSucceeded(),
      props.heartbeatHours,
      `No dataquest pipeline execution succeeded in ${props.heartbeatHours} hours: the schedule may be disabled, or every start or run failed.`,
    )
    this.scheduleDeadLetterAlarm = alarmOnAny(
      this,
      'ScheduleDeadLetterAlarm',
      scheduleDeadLetters.metricApproximateNumberOfMessagesVisible({period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM}),
      'The schedule could not start the dataquest pipeline (after retries); the message in its dead-letter queue says why.',
    )
  }
}
