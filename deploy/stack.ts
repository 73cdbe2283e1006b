import {readFileSync} from 'node:fs'
import path from 'node:path'

import {CfnOutput, CfnParameter, Duration, Size, Stack, type StackProps} from 'aws-cdk-lib'
import type {Construct} from 'constructs'

import {BLS_URL, POPULATION_URL} from '../src/sources/upstream.js'
import {notifyAlarms} from './alarms.js'
import {handlerFunction, PROJECT_ROOT} from './functions.js'
import {Pipeline} from './pipeline.js'
import {Query} from './query.js'
import {ReportLog} from './report-log.js'
import type {DataquestSettings} from './settings.js'
import {grantStoreAccess, Storage} from './storage.js'

export type DataquestStackProps = StackProps & DataquestSettings

export const LOGGER_TIMEOUT = Duration.seconds(30)

/**
 * One survey per invocation, streamed into S3 (MD5 and size computed on the way, a few multipart
 * parts in memory, nothing spooled to /tmp): a 2 GB file needs ~2 GB ÷ the download rate, 100–400 s
 * at 5–20 MB/s, well inside the 15-minute maximum; 1 GB of memory is 4× the 250 MB peak RSS target
 * and buys ~0.6 vCPU for TLS and MD5; /tmp stays at Lambda's default, as nothing is written there.
 */
export const FETCH_SIZE = {timeout: Duration.minutes(15), memorySize: 1024, ephemeralStorage: Size.mebibytes(512)}

/** What the User-Agent accepts as a contact (src/http/user-agent.ts), checked by CloudFormation before anything runs. */
export const CONTACT_PATTERN = '^([^@\\s()]+@[^@\\s()]+|https?://[^\\s()]+)$'

/** The version in the User-Agent, as the CLI sends it. */
const VERSION = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {version: string}).version

/**
 * dataquest in AWS: a daily fetch → transform into S3, and every report written becomes an SQS
 * message that the logger Lambda prints. The handlers are the CLI's library behind another door.
 */
export class DataquestStack extends Stack {
  constructor(scope: Construct, id: string, props: DataquestStackProps) {
    super(scope, id, props)

    // A parameter, so the contact lives in the deployment, not in the source.
    const contact = new CfnParameter(this, 'Contact', {
      type: 'String',
      description: 'Contact (e-mail address or URL) sent in the User-Agent to BLS, which refuses robots without one',
      allowedPattern: CONTACT_PATTERN,
      constraintDescription: 'must be an e-mail address or an http(s) URL, without spaces or parentheses, e.g. you@example.com',
    })

    const storage = new Storage(this, 'Storage', props)
    const rawLocation = `s3://${storage.raw.bucketName}/`

    const fetch = handlerFunction(this, 'Fetch', {
      handler: 'fetch',
      description: 'dataquest fetch: a BLS survey, or the population API, into the raw bucket',
      ...FETCH_SIZE,
      environment: {
        DATAQUEST_RAW: rawLocation,
        DATAQUEST_CONTACT: contact.valueAsString,
        DATAQUEST_VERSION: VERSION,
        DATAQUEST_SURVEY: props.surveys,
        DATAQUEST_BLS_ROOT: props.blsRoot,
        DATAQUEST_BLS_URL: BLS_URL,
        DATAQUEST_POPULATION_URL: POPULATION_URL,
      },
    })
    grantStoreAccess(storage.raw, fetch, 'read', 'write', 'delete')

    const transform = handlerFunction(this, 'Transform', {
      handler: 'transform',
      description: 'dataquest transform: the raw bucket into the three reports in the processed bucket',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: {DATAQUEST_RAW: rawLocation, DATAQUEST_PROCESSED: `s3://${storage.processed.bucketName}/`},
    })
    grantStoreAccess(storage.raw, transform, 'read')
    grantStoreAccess(storage.processed, transform, 'read', 'write')

    const logger = handlerFunction(this, 'Logger', {
      handler: 'logger',
      description: 'dataquest consume (logger): logs each report written to the processed bucket',
      timeout: LOGGER_TIMEOUT,
      // Room to parse a report of a few hundred thousand rows (tens of MB of JSON).
      memorySize: 1024,
    })
    grantStoreAccess(storage.processed, logger, 'read')

    new Query(this, 'Query', {raw: storage.raw, surveys: props.surveys, destroyData: props.destroyData})

    const pipeline = new Pipeline(this, 'Pipeline', {fetch, transform, schedule: props.schedule, heartbeatHours: props.heartbeatHours})
    const reportLog = new ReportLog(this, 'ReportLog', {
      processed: storage.processed,
      processedArn: storage.processedArn,
      logger,
      loggerTimeout: LOGGER_TIMEOUT,
    })

    const alarms = notifyAlarms(
      this,
      'Alarms',
      [pipeline.failedAlarm, pipeline.heartbeatAlarm, pipeline.scheduleDeadLetterAlarm, reportLog.deadLetterAlarm],
      props.alarmEmail,
    )

    new CfnOutput(this, 'RawBucketName', {value: storage.raw.bucketName})
    new CfnOutput(this, 'RawLocation', {value: rawLocation, description: 'The raw store as dataquest names it: the DATAQUEST_RAW repository variable of sync.yml'})
    new CfnOutput(this, 'ProcessedBucketName', {value: storage.processed.bucketName})
    new CfnOutput(this, 'StateMachineArn', {value: pipeline.stateMachine.stateMachineArn})
    new CfnOutput(this, 'ReportQueueUrl', {value: reportLog.queue.queueUrl})
    new CfnOutput(this, 'DeadLetterQueueUrl', {value: reportLog.deadLetterQueue.queueUrl})
    new CfnOutput(this, 'FetchLogGroup', {value: fetch.logGroup.logGroupName})
    new CfnOutput(this, 'TransformLogGroup', {value: transform.logGroup.logGroupName})
    new CfnOutput(this, 'LoggerLogGroup', {value: logger.logGroup.logGroupName})
    new CfnOutput(this, 'AlarmTopicArn', {value: alarms.topicArn})
  }
}
