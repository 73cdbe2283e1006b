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
import {TRANSIENT_LAMBDA_ERRORS} from '../deploy/pipeline.js'
import {CONTEXT, DEFAULT_SETTINGS, settingsFromContext} from '../deploy/settings.js'
import {BLS_URL} from '../src/sources/bls.js'
import {POPULATION_URL} from '../src/sources/population.js'
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
t.setTimeout(300_000)

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
const processedId = logicalIdOf('AWS::S3::Bucket', (r) => r.Properties.VersioningConfiguration === undefined)
const queueId = logicalIdOf('AWS::SQS::Queue', (r) => r.Properties.RedrivePolicy !== undefined)
const dlqId = logicalIdOf('AWS::SQS::Queue', (r) => r.Properties.RedrivePolicy === undefined)
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

t.test('three Lambdas: nodejs22.x on arm64, bundled ESM, each logging to a log group with retention', async (t) => {
  const functions = ofType('AWS::Lambda::Function')
  t.equal(functions.length, 3, 'fetch, transform, logger and nothing else (no custom resources)')
  for (const [id, fn] of functions) {
    t.equal(fn.Properties.Runtime, 'nodejs22.x', id)
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
  t.match(JSON.parse(logged.out[0]!), {messageId: good, status: 'report', report: {report: 'population_stats', result: {count: 6}}})
})

t.test('state machine: fetch then transform, retrying only Lambda service errors and throttling, failing visibly', async (t) => {
  const machine = resources[stateMachineId]!
  const definition = JSON.parse(
    (machine.Properties.DefinitionString as {'Fn::Join': [string, unknown[]]})['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'ARN')).join(''),
  ) as {StartAt: string; States: Record<string, {Type: string; Next?: string; End?: boolean; Retry?: {ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number}[]; Catch?: unknown}>}
  t.equal(definition.StartAt, 'Fetch')
  t.equal(definition.States.Fetch?.Next, 'Transform')
  t.equal(definition.States.Transform?.End, true)
  for (const name of ['Fetch', 'Transform']) {
    const state = definition.States[name]!
    t.equal(state.Type, 'Task')
    t.same(state.Retry?.map((r) => r.ErrorEquals), [TRANSIENT_LAMBDA_ERRORS], `${name} retries only transient Lambda errors`)
    t.ok(TRANSIENT_LAMBDA_ERRORS.includes('Lambda.TooManyRequestsException'))
    t.ok(state.Retry![0]!.BackoffRate > 1, 'with backoff')
    t.equal(state.Catch, undefined, `${name}: nothing swallows a failure`)
  }
  t.match(machine.Properties, {TracingConfiguration: {Enabled: true}, LoggingConfiguration: {Level: 'ALL'}})
})

t.test('schedule: daily at 08:00 UTC, starting the state machine with a role of its own', async (t) => {
  const [, schedule] = onlyOf('AWS::Scheduler::Schedule')
  t.match(schedule.Properties, {ScheduleExpression: 'cron(0 8 * * ? *)', ScheduleExpressionTimezone: 'Etc/UTC', State: 'ENABLED'})
  const target = schedule.Properties.Target as {Arn: {Ref: string}; RoleArn: {'Fn::GetAtt': string[]}; Input: string}
  t.equal(target.Arn.Ref, stateMachineId)
  t.same(JSON.parse(target.Input), {trigger: 'schedule'}, 'an object the steps can add their results to')
  const role = target.RoleArn['Fn::GetAtt'][0]!
  t.match(resources[role]!.Properties.AssumeRolePolicyDocument, {Statement: [{Principal: {Service: 'scheduler.amazonaws.com'}}]})
  t.same(statementsOfRole(role), [{Action: 'states:StartExecution', Effect: 'Allow', Resource: {Ref: stateMachineId}}])
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
  t.same(queue.Properties.RedrivePolicy, {deadLetterTargetArn: {'Fn::GetAtt': [dlqId, 'Arn']}, maxReceiveCount: 3})
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

t.test('alarms: failed executions and dead letters', async (t) => {
  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties)
  t.equal(alarms.length, 2)
  const dlqAlarm = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')
  t.match(dlqAlarm, {Namespace: 'AWS/SQS', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold'})
  t.match(JSON.stringify(dlqAlarm?.Dimensions), `"${dlqId}"`)
  const failedAlarm = alarms.find((a) => a.Metrics !== undefined)
  const metrics = JSON.stringify(failedAlarm?.Metrics)
  for (const name of ['ExecutionsFailed', 'ExecutionsTimedOut', stateMachineId]) t.match(metrics, name)
  t.match(failedAlarm, {Threshold: 1, TreatMissingData: 'notBreaching'})

  // Both notify one TLS-only topic; no subscriber unless an address is given (see the context test).
  const [topicId] = onlyOf('AWS::SNS::Topic')
  for (const alarm of alarms) t.same(alarm.AlarmActions, [{Ref: topicId}], `${String(alarm.AlarmDescription)} notifies the topic`)
  const [, topicPolicy] = onlyOf('AWS::SNS::TopicPolicy')
  const denials = (topicPolicy.Properties.PolicyDocument as {Statement: (Statement & {Condition?: unknown})[]}).Statement.filter((st) => st.Effect === 'Deny')
  t.match(JSON.stringify(denials), /"aws:SecureTransport":"false"/, 'the topic refuses plain HTTP')
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

t.test('the README names only outputs the stack has', async (t) => {
  const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>)
  const readme = await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8')
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
    t.match(id, /^AwsSolutions::AwsSolutions-(S1|L1|SNS2|IAM5\[Resource::(\*|<\w+\.Arn>(\/\*|:\*))\])$/, 'only these rules, IAM5 only for named resources')
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
      'aws:cdk:bundling-stacks': [], // the bundles were checked above; this synth is about the buckets
    },
  })
  app.synth()
  const destroying = Template.fromStack(stack)
  destroying.resourceCountIs('Custom::S3AutoDeleteObjects', 2)
  destroying.allResources('AWS::S3::Bucket', {DeletionPolicy: 'Delete'})
  destroying.hasResourceProperties('AWS::S3::Bucket', {
    LifecycleConfiguration: {Rules: Match.arrayWith([Match.objectLike({NoncurrentVersionExpiration: {NoncurrentDays: 7}})])},
  })
  destroying.hasResourceProperties('AWS::Scheduler::Schedule', {ScheduleExpression: 'rate(12 hours)'})
  destroying.hasResourceProperties('AWS::SNS::Subscription', {Protocol: 'email', Endpoint: 'ops@example.com'})

  const context = (values: Record<string, unknown>) => ({tryGetContext: (key: string) => values[key]})
  t.same(settingsFromContext(context({})), DEFAULT_SETTINGS)
  t.same(settingsFromContext(context({[CONTEXT.noncurrentVersionDays]: 90})), {...DEFAULT_SETTINGS, noncurrentVersionDays: 90}, 'numbers from cdk.json')
  t.throws(() => settingsFromContext(context({[CONTEXT.schedule]: '0 8 * * *'})), /dataquest:schedule=0 8 \* \* \* is not a schedule expression/)
  t.throws(() => settingsFromContext(context({[CONTEXT.noncurrentVersionDays]: '-1'})), /not a whole number of days/)
  t.throws(() => settingsFromContext(context({[CONTEXT.removalPolicy]: 'delete'})), /use retain \(the default\) or destroy/)
  t.throws(() => settingsFromContext(context({[CONTEXT.alarmEmail]: 'ops at example'})), /dataquest:alarmEmail=ops at example is not an e-mail address/)
})
