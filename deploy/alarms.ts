import {Duration} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import {SnsAction} from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as sns from 'aws-cdk-lib/aws-sns'
import {EmailSubscription} from 'aws-cdk-lib/aws-sns-subscriptions'
import type {Construct} from 'constructs'

import {acknowledge} from './nag.js'

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
 * Send `alarms` to an SNS topic (TLS only), and from there to `email` when one is given, so an
 * alarm reaches someone rather than only turning red in the console.
 */
export function notifyAlarms(scope: Construct, id: string, alarms: readonly cloudwatch.Alarm[], email?: string): sns.Topic {
  const topic = new sns.Topic(scope, id, {displayName: 'dataquest alarms', enforceSSL: true})
  acknowledge(
    topic,
    'SNS2',
    'alarm notifications carry no data; CloudWatch cannot publish to a topic encrypted with the AWS-managed key, and a customer-managed key would cost more than the rest of the stack',
  )
  if (email) topic.addSubscription(new EmailSubscription(email))
  for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(topic))
  return topic
}
