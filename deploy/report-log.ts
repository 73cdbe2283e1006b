import {Aws, Duration} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import {SqsEventSource} from 'aws-cdk-lib/aws-lambda-event-sources'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import {Construct} from 'constructs'

import {REPORT_NAMES, reportKey} from '../src/reports/types.js'
import {ALARM_PERIOD, alarmOnAny} from './alarms.js'

export interface ReportLogProps {
  /** The bucket the reports are written to, and its ARN as a plain string (see Storage.processedArn). */
  processed: s3.Bucket
  processedArn: string
  logger: lambda.IFunction
  /** The logger's timeout; the queue's visibility timeout is six times it, as Lambda advises. */
  loggerTimeout: Duration
}

// Lambda's poller counts a receive even when the function was throttled; fewer than 5 can
// dead-letter a healthy message during a burst (AWS's advice for SQS event sources).
export const MAX_RECEIVES = 5

/** Processed bucket → (ObjectCreated of a report's JSON) → SQS → logger Lambda, with a dead-letter queue and its alarm. */
export class ReportLog extends Construct {
  readonly queue: sqs.Queue
  readonly deadLetterQueue: sqs.Queue
  readonly deadLetterAlarm: cloudwatch.Alarm

  constructor(scope: Construct, id: string, props: ReportLogProps) {
    super(scope, id)
    const common: sqs.QueueProps = {encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true}
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {...common, retentionPeriod: Duration.days(14)})
    this.queue = new sqs.Queue(this, 'Queue', {
      ...common,
      visibilityTimeout: Duration.seconds(props.loggerTimeout.toSeconds() * 6),
      deadLetterQueue: {queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVES},
    })

    // S3 may send only this bucket's events, from this account.
    const s3MaySend = this.queue.grantSendMessages(
      new iam.ServicePrincipal('s3.amazonaws.com').withConditions({
        ArnEquals: {'aws:SourceArn': props.processedArn},
        StringEquals: {'aws:SourceAccount': Aws.ACCOUNT_ID},
      }),
    )
    // The notification is set on the bucket itself rather than through bucket.addEventNotification,
    // whose custom resource needs s3:PutBucketNotification on every bucket ('*').
    // Only the three reports' JSON objects notify: the bucket holds other files too (other formats of
    // the reports, a stray upload), and each would otherwise be retried, dead-lettered and alarmed on.
    // A filter takes one prefix and one suffix, so one configuration per report: the prefix is the
    // whole key, the suffix keeps out longer keys that start with it (`population_stats.json.bak`).
    const bucket = props.processed.node.defaultChild as s3.CfnBucket
    bucket.notificationConfiguration = {
      queueConfigurations: REPORT_NAMES.map(reportKey).map((key) => ({
        event: 's3:ObjectCreated:*',
        queue: this.queue.queueArn,
        filter: {s3Key: {rules: [{name: 'prefix', value: key}, {name: 'suffix', value: '.json'}]}},
      })),
    }
    // S3 tests the destination when the notification is set, so the bucket waits for the policy.
    s3MaySend.applyBefore(props.processed)

    props.logger.addEventSource(new SqsEventSource(this.queue, {batchSize: 10, reportBatchItemFailures: true}))

    this.deadLetterAlarm = alarmOnAny(
      this,
      'DeadLetterAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM}),
      `A report notification failed ${MAX_RECEIVES} times and sits in the dead-letter queue; the logger's log group says why.`,
    )
  }
}
