import {Aws, Duration} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import {SnsAction} from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as sns from 'aws-cdk-lib/aws-sns'
import {EmailSubscription} from 'aws-cdk-lib/aws-sns-subscriptions'
import type {Construct} from 'constructs'

export const ALARM_PERIOD = Duration.minutes(5)

/** An alarm that goes off when `metric` counts anything in a period; no data is no trouble. */
export function alarmOnAny(scope: Construct, id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric,
    alarmDescription: description,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  })
}

/**
 * An alarm that goes off when `metric` (a count) stayed below 1 in every hour of the last `hours`.
 * No data is trouble here: a schedule that stopped firing emits nothing at all.
 */
export function alarmOnNone(scope: Construct, id: string, metric: cloudwatch.Metric, hours: number, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric: metric.with({period: Duration.hours(1), statistic: cloudwatch.Stats.SUM}),
    alarmDescription: description,
    threshold: 1,
    evaluationPeriods: hours,
    datapointsToAlarm: hours,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  })
}

/**
 * Send `alarms` to an SNS topic (TLS only), and from there to `email` when one is given, so an
 * alarm reaches someone rather than only turning red in the console.
 */
export function notifyAlarms(scope: Construct, id: string, alarms: readonly cloudwatch.Alarm[], email?: string): sns.Topic {
  const topic = new sns.Topic(scope, id, {displayName: 'dataquest alarms', enforceSSL: true})
  // A topic policy replaces SNS's default one, so CloudWatch must be allowed explicitly: only for
  // these alarms, from this account. (The topic is unencrypted: a KMS key would need a key policy
  // for CloudWatch too, and the notifications carry no data.)
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: {'aws:SourceAccount': Aws.ACCOUNT_ID},
        ArnLike: {'aws:SourceArn': alarms.map((alarm) => alarm.alarmArn)},
      },
    }),
  )
  if (email) topic.addSubscription(new EmailSubscription(email))
  for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(topic))
  return topic
}
