import {mkdtemp, readFile, stat} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {ReceiveMessageCommand} from '@aws-sdk/client-sqs'
import {App, Stack, Validations} from 'aws-cdk-lib'
import {Match, Template} from 'aws-cdk-lib/assertions'
import * as s3 from 'aws-cdk-lib/aws-s3'
import {AwsSolutionsChecks} from 'cdk-nag'
import t from 'tap'

import {createApp} from '../deploy/create-app.js'
import {PROJECT_ROOT} from '../deploy/functions.js'
import {MAX_CONCURRENT_SURVEYS, TRANSIENT_LAMBDA_ERRORS} from '../deploy/pipeline.js'
import {CONTEXT, DEFAULT_SETTINGS, settingsFromContext} from '../deploy/settings.js'
import {FETCH_SIZE} from '../deploy/stack.js'
import {BLS_URL, POPULATION_URL} from '../src/sources/upstream.js'
import {startEmulator} from './helpers/fauxqs.js'
import {fetchEnv, invoke, lambdaSqsEvent, serveSmallUpstream} from './helpers/lambda.js'
import {createQueuePair, s3EventBody, sendBodies} from './helpers/s3-events.js'

type Resource = {Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string}
type Statement = {Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown}

/** Run `fn` with stderr captured (cdk prints its validation report there); returns what was printed. */
async function quietly(fn: () => unknown): Promise<string> {
  const printed: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0) as typeof process.stderr.write
  try {
    await fn()
  } finally {
    process.stderr.write = write
  }
  return printed.join('')
}

const outdir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-cdk-'))

// Two synths with cdk-nag, three esbuild bundles run end to end: minutes, not seconds, on a busy
// two-core runner, where the suite's 120 s per file is too tight.
t.setTimeout(600_000)

// One synth for the default settings, shared by every assertion below (bundling is the slow part).
const assembly = await outdir()
const {app, stack} = createApp({outdir: assembly})
app.synth() // runs cdk-nag's AwsSolutions pack; an unacknowledged finding throws here
const template = Template.fromStack(stack)
const resources = template.toJSON().Resources as Record<string, Resource>

const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type)
const onlyOf = (type: string): [string, Resource] => {
  const found = ofType(type)
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`)
  return found[0]!
}
const logicalIdOf = (type: string, where: (r: Resource) => boolean): string => {
  const found = ofType(type).filter(([, r]) => where(r))
  if (found.length !== 1) throw new Error(`expected one matching ${type}, found ${found.length}`)
  return found[0]![0]
}
const functionId = (handlerFile: string): string =>
  logicalIdOf('AWS::Lambda::Function', (r) => String(r.Properties.Description).startsWith(`dataquest ${handlerFile}`))
const functionOf = (role: string): string => logicalIdOf('AWS::Lambda::Function', (r) => JSON.stringify(r.Properties.Role).includes(`"${role}"`))
const statementsOfRole = (roleId: string): Statement[] =>
  ofType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as {Statement: Statement[]}).Statement)
const roleOf = (fnId: string): string => ((resources[fnId]!.Properties.Role as {'Fn::GetAtt': string[]})['Fn::GetAtt'])[0]!
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value])

const rawId = logicalIdOf('AWS::S3::Bucket', (r) => r.Properties.VersioningConfiguration !== undefined)
// The processed bucket is the one named per stack instance (the Athena results bucket, deploy/query.ts, is not named).
const processedId = logicalIdOf('AWS::S3::Bucket', (r) => r.Properties.BucketName !== undefined)
const queueId = logicalIdOf('AWS::SQS::Queue', (r) => r.Properties.RedrivePolicy !== undefined)
// The reports queue's dead letters: the queue its redrive policy names (the schedule has a dead-letter queue of its own).
const dlqId = ((resources[queueId]!.Properties.RedrivePolicy as {deadLetterTargetArn: {'Fn::GetAtt': string[]}}).deadLetterTargetArn['Fn::GetAtt'])[0]!
const stateMachineId = onlyOf('AWS::StepFunctions::StateMachine')[0]

t.test('buckets: private, TLS only, encrypted, kept on stack deletion; raw is versioned', async (t) => {
  for (const id of [rawId, processedId]) {
    const bucket = resources[id]!
    t.same(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    })
    t.match(bucket.Properties.BucketEncryption, {ServerSideEncryptionConfiguration: [{ServerSideEncryptionByDefault: {SSEAlgorithm: 'AES256'}}]})
    t.equal(bucket.DeletionPolicy, 'Retain', `${id} is retained`)
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: {Ref: id},
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({Effect: 'Deny', Principal: {AWS: '*'}, Condition: {Bool: {'aws:SecureTransport': 'false'}}})]),
      },
    })
  }
  t.same(resources[rawId]!.Properties.VersioningConfiguration, {Status: 'Enabled'})
  // A kept bucket must not block a deploy after `cdk destroy`: the name has 12 hex digits of the stack's id.
  t.same(
    (resources[processedId]!.Properties.BucketName as {'Fn::Join': [string, unknown[]]})['Fn::Join'][1].at(-1),
    {'Fn::Select': [4, {'Fn::Split': ['-', {'Fn::Select': [2, {'Fn::Split': ['/', {Ref: 'AWS::StackId'}]}]}]}]},
    'the processed bucket is named per stack instance',
  )
  t.match(resources[rawId]!.Properties.LifecycleConfiguration, {
    Rules: [{}, {NoncurrentVersionExpiration: {NoncurrentDays: DEFAULT_SETTINGS.noncurrentVersionDays}, Status: 'Enabled'}, {}],
  })
  t.equal(ofType('Custom::S3AutoDeleteObjects').length, 0, 'no auto-delete unless asked for')
})

t.test('the contact is a stack parameter, handed to the fetch Lambda', async (t) => {
  const parameters = template.toJSON().Parameters as Record<string, {Type: string; Default?: string; AllowedPattern?: string}>
  t.equal(parameters.Contact?.Type, 'String')
  t.equal(parameters.Contact?.Default, undefined, 'no default: a deploy must name its contact')
  const pattern = new RegExp(parameters.Contact!.AllowedPattern!)
  for (const good of ['you@example.com', 'https://example.com/contact']) t.match(good, pattern, `${good} is a contact`)
  for (const bad of ['', 'nobody', 'a b@example.com', 'me@example.com (ops)']) t.notMatch(bad, pattern, `${bad} is refused`)
  t.match(resources[functionId('fetch')]!.Properties.Environment, {
    Variables: {DATAQUEST_CONTACT: {Ref: 'Contact'}, DATAQUEST_RAW: Object, DATAQUEST_BLS_URL: BLS_URL, DATAQUEST_POPULATION_URL: POPULATION_URL},
  })
})

t.test('the fetch Lambda: the surveys and BLS root from context, sized for streaming a 2 GB file', async (t) => {
  const fetch = resources[functionId('fetch')]!.Properties
  t.match(fetch.Environment, {Variables: {DATAQUEST_SURVEY: 'pr', DATAQUEST_BLS_ROOT: 'https://download.bls.gov/pub/time.series/'}})
  t.equal(fetch.Timeout, 900, 'the 15 minutes Lambda allows')
  t.equal(fetch.MemorySize, 1024)
  t.same(fetch.EphemeralStorage, {Size: 512}, '/tmp at the default: streaming spools nothing there')
  t.equal(FETCH_SIZE.memorySize, fetch.MemorySize)
})

t.test('three Lambdas: nodejs24.x on arm64, bundled ESM with source maps on, JSON logs to a log group with retention, X-Ray', async (t) => {
  const functions = ofType('AWS::Lambda::Function')
  t.equal(functions.length, 3, 'fetch, transform, logger and nothing else (no custom resources)')
  for (const [id, fn] of functions) {
    t.equal(fn.Properties.Runtime, 'nodejs24.x', id)
    t.match(fn.Properties.LoggingConfig, {LogFormat: 'JSON'}, `${id} logs JSON`)
    t.same(fn.Properties.TracingConfig, {Mode: 'Active'}, `${id} traced`)
    t.match(fn.Properties.Environment, {Variables: {NODE_OPTIONS: '--enable-source-maps'}}, `${id} uses its source map`)
    t.ok(statementsOfRole(roleOf(id)).some((st) => asList(st.Action).includes('xray:PutTraceSegments')), `${id} may send traces`)
    t.same(fn.Properties.Architectures, ['arm64'], id)
    t.equal(fn.Properties.Handler, 'index.handler', id)
    const logGroup = (fn.Properties.LoggingConfig as {LogGroup: {Ref: string}}).LogGroup.Ref
    t.equal(resources[logGroup]?.Properties.RetentionInDays, 30, `${id} log retention`)
  }
  t.match(resources[functionId('transform')]!.Properties.Environment, {
    Variables: {DATAQUEST_RAW: {'Fn::Join': ['', ['s3://', {Ref: rawId}, '/']]}, DATAQUEST_PROCESSED: Object},
  })
})

/** The bundled code of a function, as `cdk deploy` would upload it. */
const bundleOf = (fnId: string): string =>
  path.join(assembly, `asset.${(resources[fnId]!.Properties.Code as {S3Key: string}).S3Key.replace(/\.zip$/, '')}`, 'index.mjs')

t.test('the bundles: small, and they run as Lambda runs them (fetch → transform → logger, plain Node, no source)', async (t) => {
  const bundled = async (name: string): Promise<(event?: unknown) => Promise<unknown>> => {
    const file = bundleOf(functionId(name))
    const {size} = await stat(file)
    t.ok(size > 50_000 && size < 2_000_000, `${name} bundle: ${size} bytes (library and SDK inside, minified)`)
    return ((await import(pathToFileURL(file).href)) as {handler: (event?: unknown) => Promise<unknown>}).handler
  }
  const emulator = await startEmulator(t)
  const upstream = await serveSmallUpstream(t)
  const [raw, processed] = [await emulator.bucket(), await emulator.bucket()]

  const fetched = await invoke(fetchEnv(emulator, upstream, raw), await bundled('fetch'))
  t.match(fetched.result, {added: 3, failed: 0})
  const environment = {AWS_ENDPOINT_URL: emulator.endpoint, DATAQUEST_RAW: `s3://${raw}/`, DATAQUEST_PROCESSED: `s3://${processed}/`}
  const transformed = await invoke(environment, await bundled('transform'))
  t.match(transformed.result, {series: 1, files: [{}, {}, {}]})

  const queue = await createQueuePair(emulator)
  const [good, missing] = await sendBodies(emulator, queue.queueUrl, [
    s3EventBody({bucket: processed, key: 'population_stats.json'}),
    s3EventBody({bucket: processed, key: 'missing.json'}),
  ])
  const {Messages = []} = await emulator.sqs.send(new ReceiveMessageCommand({QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10}))
  const logged = await invoke({AWS_ENDPOINT_URL: emulator.endpoint}, async () => (await bundled('consume'))(lambdaSqsEvent(Messages, queue.name)))
  t.same(logged.result, {batchItemFailures: [{itemIdentifier: missing}]})
  t.match(logged.events, [{level: 'INFO', message: {messageId: good, status: 'report', report: 'population_stats', result: {count: 6}, table: /mean/}}, {level: 'ERROR'}])
})

interface State {
  Type: string
  Next?: string
  End?: boolean
  Default?: string
  Parameters?: Record<string, unknown>
  ResultSelector?: Record<string, unknown>
  ResultPath?: string
  ItemsPath?: string
  ItemSelector?: Record<string, unknown>
  MaxConcurrency?: number
  ItemProcessor?: Machine
  Branches?: Machine[]
  Choices?: Record<string, unknown>[]
  Error?: string
  CausePath?: string
  Retry?: {ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number}[]
  Catch?: {ErrorEquals: string[]; ResultPath: string; Next: string}[]
}
interface Machine {
  StartAt: string
  States: Record<string, State>
  TimeoutSeconds?: number
}
const definition = JSON.parse(
  (resources[stateMachineId]!.Properties.DefinitionString as {'Fn::Join': [string, unknown[]]})['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : 'ARN'))
    .join(''),
) as Machine

t.test('state machine: list the surveys, fetch them (a Map) beside the population, fail visibly if any failed, else transform', async (t) => {
  const {States: states} = definition
  t.equal(definition.StartAt, 'ListSurveys')
  t.match(states.ListSurveys, {Type: 'Task', Parameters: {mode: 'surveys'}, ResultSelector: {'surveys.$': '$.surveys'}, ResultPath: '$.plan', Next: 'FetchAll'})

  const fetchAll = states.FetchAll!
  t.equal(fetchAll.Type, 'Parallel')
  t.equal(fetchAll.Next, 'AnyFailed')
  t.same(fetchAll.ResultSelector, {'outcomes.$': '$[*][*]', 'failed.$': '$[*][?(@.error)].fetched'}, 'every outcome in one list, and the names of the failed ones')
  const [surveys, population] = fetchAll.Branches!
  const map = surveys!.States[surveys!.StartAt]!
  t.match(map, {Type: 'Map', ItemsPath: '$.plan.surveys', ItemSelector: {'fetched.$': '$$.Map.Item.Value'}, MaxConcurrency: MAX_CONCURRENT_SURVEYS})
  t.ok(MAX_CONCURRENT_SURVEYS >= 1 && MAX_CONCURRENT_SURVEYS <= 4, 'bounded: BLS sees at most 4 requests per fetch times this')
  const iteration = map.ItemProcessor!
  t.match(iteration.States[iteration.StartAt], {
    Type: 'Task',
    Parameters: {'survey.$': '$.fetched'},
    ResultPath: '$.summary',
    End: true,
    Catch: [{ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FetchSurveyFailed'}],
  }, 'the fetch contract {"survey":"cu"}; a failure is caught so the other surveys go on')
  t.match(iteration.States.FetchSurveyFailed, {Type: 'Pass', Parameters: {'fetched.$': '$.fetched', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause'}, End: true})

  t.match(population!.States[population!.StartAt], {Type: 'Pass', Result: {fetched: 'population'}, Next: 'FetchPopulation'})
  t.match(population!.States.FetchPopulation, {Parameters: {population: true}, Next: 'PopulationOutcome', Catch: [{ErrorEquals: ['States.ALL'], Next: 'FetchPopulationFailed'}]})
  t.match(population!.States.FetchPopulationFailed, {Type: 'Pass', Next: 'PopulationOutcome'}, 'a failed population fetch is an outcome too')
  t.match(population!.States.PopulationOutcome, {Parameters: {'list.$': 'States.Array($)'}, OutputPath: '$.list', End: true})

  t.match(states.AnyFailed, {Type: 'Choice', Choices: [{Variable: '$.fetch.failed[0]', IsPresent: true, Next: 'FetchFailed'}], Default: 'Transform'})
  t.match(states.FetchFailed, {Type: 'Fail', Error: 'FetchFailed', CausePath: /^States\.Format\('fetch failed for \{\} .*States\.JsonToString\(\$\.fetch\.failed\)\)$/})
  t.match(states.Transform, {Type: 'Task', ResultPath: '$.transform', End: true})

  for (const [name, state] of [['ListSurveys', states.ListSurveys], ['FetchSurvey', iteration.States.FetchSurvey], ['FetchPopulation', population!.States.FetchPopulation], ['Transform', states.Transform]] as const) {
    t.same(state!.Retry?.map((r) => r.ErrorEquals), [TRANSIENT_LAMBDA_ERRORS], `${name} retries only transient Lambda errors`)
    t.ok(state!.Retry![0]!.BackoffRate > 1, 'with backoff')
  }
  t.equal(states.ListSurveys!.Catch, undefined, 'an unresolvable survey list fails the execution at once')
  t.equal(states.Transform!.Catch, undefined, 'nothing swallows a transform failure')
  t.equal(definition.TimeoutSeconds, 6 * 3600)
  t.match(resources[stateMachineId]!.Properties, {TracingConfiguration: {Enabled: true}, LoggingConfiguration: {Level: 'ALL'}})
  const logGroup = JSON.stringify(
    ofType('AWS::Logs::LogGroup').map(([, g]) => g.Properties.LogGroupName).find((name) => JSON.stringify(name ?? '').includes('vendedlogs')),
  )
  t.match(logGroup, /"\/aws\/vendedlogs\/states\/Dataquest-pipeline-"/, 'the execution log group is under /aws/vendedlogs/states/')
})

t.test('schedule: daily at 08:00 UTC, starting the state machine with a role of its own', async (t) => {
  const [, schedule] = onlyOf('AWS::Scheduler::Schedule')
  t.match(schedule.Properties, {ScheduleExpression: 'cron(0 8 * * ? *)', ScheduleExpressionTimezone: 'Etc/UTC', State: 'ENABLED', Name: 'Dataquest-pipeline'})
  const target = schedule.Properties.Target as {Arn: {Ref: string}; RoleArn: {'Fn::GetAtt': string[]}; Input: string; DeadLetterConfig: {Arn: {'Fn::GetAtt': string[]}}}
  t.equal(target.Arn.Ref, stateMachineId)
  t.same(JSON.parse(target.Input), {trigger: 'schedule'}, 'an object the steps can add their results to')
  const deadLetters = target.DeadLetterConfig.Arn['Fn::GetAtt'][0]!
  t.equal(resources[deadLetters]?.Type, 'AWS::SQS::Queue', 'a start that fails lands in a dead-letter queue')
  const role = target.RoleArn['Fn::GetAtt'][0]!
  const trust = JSON.stringify(resources[role]!.Properties.AssumeRolePolicyDocument)
  t.match(resources[role]!.Properties.AssumeRolePolicyDocument, {Statement: [{Principal: {Service: 'scheduler.amazonaws.com'}, Condition: {StringEquals: {'aws:SourceAccount': Object}, ArnEquals: {'aws:SourceArn': Object}}}]})
  t.match(trust, /:schedule\/default\/Dataquest-pipeline"/, 'only this schedule may assume it')
  t.same(statementsOfRole(role), [
    {Action: 'states:StartExecution', Effect: 'Allow', Resource: {Ref: stateMachineId}},
    {Action: 'sqs:SendMessage', Effect: 'Allow', Resource: {'Fn::GetAtt': [deadLetters, 'Arn']}},
  ])
})

t.test('reports: processed bucket → *.json ObjectCreated → encrypted queue → logger with partial batch responses', async (t) => {
  const processed = resources[processedId]!
  t.same(processed.Properties.NotificationConfiguration, {
    QueueConfigurations: [
      {Event: 's3:ObjectCreated:*', Queue: {'Fn::GetAtt': [queueId, 'Arn']}, Filter: {S3Key: {Rules: [{Name: 'suffix', Value: '.json'}]}}},
    ],
  })
  const queuePolicy = logicalIdOf('AWS::SQS::QueuePolicy', (r) => JSON.stringify(r.Properties.Queues).includes(`"${queueId}"`))
  t.ok(processed.DependsOn?.includes(queuePolicy), 'the bucket waits for the policy that lets S3 send (S3 checks it)')
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{Ref: queueId}],
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({Effect: 'Allow', Principal: {Service: 's3.amazonaws.com'}, Condition: {ArnEquals: {'aws:SourceArn': Match.anyValue()}}}),
      ]),
    },
  })
  // The ARN in that condition is the processed bucket's name, the same expression.
  const condition = JSON.stringify(template.toJSON().Resources[queuePolicy].Properties.PolicyDocument)
  t.ok(condition.includes(JSON.stringify(processed.Properties.BucketName)), 'S3 may send only for the processed bucket')
  t.equal(ofType('Custom::S3BucketNotifications').length, 0, 'no notification custom resource (its policy is s3:PutBucketNotification on *)')

  const logger = resources[functionId('consume')]!
  const queue = resources[queueId]!
  t.ok((queue.Properties.VisibilityTimeout as number) >= 6 * (logger.Properties.Timeout as number), 'visibility ≥ 6 × logger timeout')
  t.same(queue.Properties.RedrivePolicy, {deadLetterTargetArn: {'Fn::GetAtt': [dlqId, 'Arn']}, maxReceiveCount: 5}, 'not 3: a throttled receive counts')
  for (const id of [queueId, dlqId]) {
    t.equal(resources[id]!.Properties.SqsManagedSseEnabled, true, `${id} encrypted`)
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{Ref: id}],
      PolicyDocument: {Statement: Match.arrayWith([Match.objectLike({Effect: 'Deny', Condition: {Bool: {'aws:SecureTransport': 'false'}}})])},
    })
  }
  template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    EventSourceArn: {'Fn::GetAtt': [queueId, 'Arn']},
    FunctionName: {Ref: functionId('consume')},
    FunctionResponseTypes: ['ReportBatchItemFailures'],
  })
})

t.test('alarms: failed executions, no success for 26 hours, the two dead-letter queues; CloudWatch may publish to the topic', async (t) => {
  const alarms = ofType('AWS::CloudWatch::Alarm')
  t.equal(alarms.length, 4)
  const queueAlarms = alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible').map(([, a]) => a.Properties)
  t.equal(queueAlarms.length, 2)
  const scheduleDlq = (((resources[onlyOf('AWS::Scheduler::Schedule')[0]]!.Properties.Target as {DeadLetterConfig: {Arn: {'Fn::GetAtt': string[]}}}).DeadLetterConfig.Arn)['Fn::GetAtt'])[0]!
  for (const alarm of queueAlarms) t.match(alarm, {Namespace: 'AWS/SQS', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold'})
  t.same(queueAlarms.map((a) => JSON.stringify(a.Dimensions).match(/"(\w+)","QueueName"/)?.[1]).sort(), [dlqId, scheduleDlq].sort(), 'one per dead-letter queue')
  const failedAlarm = alarms.find(([, a]) => a.Properties.Metrics !== undefined)![1].Properties
  const metrics = JSON.stringify(failedAlarm.Metrics)
  for (const name of ['ExecutionsFailed', 'ExecutionsTimedOut', stateMachineId]) t.match(metrics, name)
  t.match(failedAlarm, {Threshold: 1, TreatMissingData: 'notBreaching'})

  const heartbeat = alarms.find(([, a]) => a.Properties.MetricName === 'ExecutionsSucceeded')![1].Properties
  t.match(heartbeat, {
    Namespace: 'AWS/States',
    Statistic: 'Sum',
    Period: 3600,
    EvaluationPeriods: DEFAULT_SETTINGS.heartbeatHours,
    DatapointsToAlarm: DEFAULT_SETTINGS.heartbeatHours,
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'breaching',
  }, 'no success in 26 hourly periods, and no data (nothing ran) counts as none')
  t.equal(DEFAULT_SETTINGS.heartbeatHours, 26)
  t.ok(heartbeat.Period as number * (heartbeat.EvaluationPeriods as number) <= 604_800, 'within CloudWatch\'s 7-day evaluation limit')
  t.match(JSON.stringify(heartbeat.Dimensions), stateMachineId)

  // All notify one TLS-only topic; no subscriber unless an address is given (see the context test).
  const [topicId] = onlyOf('AWS::SNS::Topic')
  for (const [, alarm] of alarms) t.same(alarm.Properties.AlarmActions, [{Ref: topicId}], `${String(alarm.Properties.AlarmDescription)} notifies the topic`)
  const [, topicPolicy] = onlyOf('AWS::SNS::TopicPolicy')
  const statements = (topicPolicy.Properties.PolicyDocument as {Statement: (Statement & {Condition?: Record<string, Record<string, unknown>>})[]}).Statement
  t.match(JSON.stringify(statements.filter((st) => st.Effect === 'Deny')), /"aws:SecureTransport":"false"/, 'the topic refuses plain HTTP')
  const publish = statements.filter((st) => st.Effect === 'Allow')
  t.equal(publish.length, 1, 'one Allow: without it the alarms cannot publish (a topic policy replaces the default)')
  t.match(publish[0], {Principal: {Service: 'cloudwatch.amazonaws.com'}, Action: 'sns:Publish', Resource: {Ref: topicId}})
  t.same(publish[0]!.Condition!.StringEquals, {'aws:SourceAccount': {Ref: 'AWS::AccountId'}}, 'only from this account')
  t.same(
    (publish[0]!.Condition!.ArnLike!['aws:SourceArn'] as {'Fn::GetAtt': string[]}[]).map((arn) => arn['Fn::GetAtt'][0]).sort(),
    alarms.map(([id]) => id).sort(),
    'only for these alarms',
  )
  t.equal(ofType('AWS::SNS::Subscription').length, 0)
})

t.test('least privilege: named actions only, no * resource for S3 or SQS, each role only what its handler does', async (t) => {
  for (const [id, policy] of ofType('AWS::IAM::Policy')) {
    for (const statement of (policy.Properties.PolicyDocument as {Statement: Statement[]}).Statement) {
      for (const action of asList(statement.Action)) {
        t.notOk(action.includes('*'), `${id}: ${action} is not a wildcard`)
        if (/^(s3|sqs):/.test(action)) t.notOk(asList(statement.Resource).includes('*'), `${id}: ${action} not on *`)
      }
    }
  }
  const actionsOn = (fn: string, bucketId: string): string[] =>
    statementsOfRole(roleOf(functionId(fn)))
      .filter((s) => JSON.stringify(s.Resource).includes(`"${bucketId}"`))
      .flatMap((s) => asList(s.Action))
      .sort()
  t.same(actionsOn('fetch', rawId), ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'])
  t.same(actionsOn('fetch', processedId), [])
  t.same(actionsOn('transform', rawId), ['s3:GetObject', 's3:ListBucket'], 'transform only reads raw')
  t.same(actionsOn('transform', processedId), ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:PutObject'])
  t.same(actionsOn('consume', processedId), ['s3:GetObject', 's3:ListBucket'])
  t.same(actionsOn('consume', rawId), [])
  t.equal(functionOf(roleOf(functionId('fetch'))), functionId('fetch'), 'one role per function')
  t.same(
    ofType('AWS::IAM::Role').flatMap(([, r]) => (r.Properties.ManagedPolicyArns as unknown[] | undefined) ?? []),
    [],
    'no managed policies',
  )
})

t.test('docs/aws.md names only outputs the stack has', async (t) => {
  const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>)
  const readme = await readFile(path.join(PROJECT_ROOT, 'docs/aws.md'), 'utf8')
  const named = [...readme.matchAll(/\$\(out (\w+)\)|\(or `(\w+)`\)/g)].map((m) => m[1] ?? m[2])
  t.ok(named.length >= 5)
  for (const name of named) t.ok(outputs.includes(name!), `output ${name}`)
})

t.test('cdk-nag: every acknowledgement is an AwsSolutions finding we expect, with a reason', async (t) => {
  const acknowledged = app.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
  t.ok(acknowledged.length > 0)
  for (const [id, reason] of acknowledged) {
    t.match(id, /^AwsSolutions::AwsSolutions-(S1|SQS3|IAM5\[Resource::(\*|<\w+\.Arn>(\/\*|:\*))\])$/, 'only these rules, IAM5 only for named resources')
    t.ok(reason.length > 40, `${id} has a reason`)
  }
})

t.test('cdk-nag stops the synth on an unacknowledged finding', async (t) => {
  const app = new App({outdir: await outdir()})
  new s3.Bucket(new Stack(app, 'Careless'), 'Bucket')
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  const report = await quietly(() => t.throws(() => app.synth(), /Validation failed/))
  t.match(report, /AwsSolutions-S1/, 'the report names the rule')
})

t.test('context: removal policy, noncurrent-version days, schedule and alarm e-mail', async (t) => {
  const {app, stack} = createApp({
    outdir: await outdir(),
    context: {
      [CONTEXT.removalPolicy]: 'destroy',
      [CONTEXT.noncurrentVersionDays]: '7',
      [CONTEXT.schedule]: 'rate(12 hours)',
      [CONTEXT.alarmEmail]: 'ops@example.com',
      [CONTEXT.surveys]: 'pr,cu',
      [CONTEXT.heartbeatHours]: '14',
      'aws:cdk:bundling-stacks': [], // the bundles were checked above; this synth is about the buckets
    },
  })
  app.synth()
  const destroying = Template.fromStack(stack)
  destroying.resourceCountIs('Custom::S3AutoDeleteObjects', 3) // raw, processed, Athena results
  destroying.allResources('AWS::S3::Bucket', {DeletionPolicy: 'Delete'})
  destroying.hasResourceProperties('AWS::S3::Bucket', {
    LifecycleConfiguration: {Rules: Match.arrayWith([Match.objectLike({NoncurrentVersionExpiration: {NoncurrentDays: 7}})])},
  })
  destroying.hasResourceProperties('AWS::Scheduler::Schedule', {ScheduleExpression: 'rate(12 hours)'})
  destroying.hasResourceProperties('AWS::SNS::Subscription', {Protocol: 'email', Endpoint: 'ops@example.com'})
  destroying.hasResourceProperties('AWS::Lambda::Function', {Environment: {Variables: Match.objectLike({DATAQUEST_SURVEY: 'pr,cu'})}})
  destroying.hasResourceProperties('AWS::CloudWatch::Alarm', {MetricName: 'ExecutionsSucceeded', EvaluationPeriods: 14})

  const context = (values: Record<string, unknown>) => ({tryGetContext: (key: string) => values[key]})
  t.same(settingsFromContext(context({})), DEFAULT_SETTINGS)
  t.same(settingsFromContext(context({[CONTEXT.noncurrentVersionDays]: 90})), {...DEFAULT_SETTINGS, noncurrentVersionDays: 90}, 'numbers from cdk.json')
  t.throws(() => settingsFromContext(context({[CONTEXT.schedule]: '0 8 * * *'})), /dataquest:schedule=0 8 \* \* \* is not a schedule expression/)
  t.throws(() => settingsFromContext(context({[CONTEXT.noncurrentVersionDays]: '-1'})), /dataquest:noncurrentVersionDays=-1 is not a whole number from 1 to 36500: use e.g. 30/)
  t.throws(() => settingsFromContext(context({[CONTEXT.removalPolicy]: 'delete'})), /use retain \(the default\) or destroy/)
  t.throws(() => settingsFromContext(context({[CONTEXT.alarmEmail]: 'ops at example'})), /dataquest:alarmEmail=ops at example is not an e-mail address/)
  // deploy.yml passes every setting as -c key=$VARIABLE: an unset variable is an empty value, the default.
  t.same(settingsFromContext(context(Object.fromEntries(Object.values(CONTEXT).map((key) => [key, ''])))), DEFAULT_SETTINGS)
  t.same(settingsFromContext(context({[CONTEXT.surveys]: 'PR, cu,ce'})), {...DEFAULT_SETTINGS, surveys: 'pr,cu,ce'}, 'spaces and capitals forgiven')
  t.equal(settingsFromContext(context({[CONTEXT.surveys]: 'all'})).surveys, 'all')
  t.throws(() => settingsFromContext(context({[CONTEXT.surveys]: 'pr;cu'})), /dataquest:surveys=pr;cu is not a list of BLS survey codes: use e\.g\. pr,cu,ce or all/)
  t.throws(() => settingsFromContext(context({[CONTEXT.blsRoot]: 'https://example.com/ts'})), /dataquest:blsRoot=https:\/\/example\.com\/ts is not a directory URL/)
  t.equal(settingsFromContext(context({[CONTEXT.blsRoot]: 'http://127.0.0.1:8080/ts/'})).blsRoot, 'http://127.0.0.1:8080/ts/')
  t.throws(() => settingsFromContext(context({[CONTEXT.heartbeatHours]: '169'})), /dataquest:heartbeatHours=169 is not a whole number from 1 to 168/)
})
