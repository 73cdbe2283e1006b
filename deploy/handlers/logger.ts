// Lambda: the cloud twin of `dataquest consume`, triggered by the report queue with partial batch responses.
import {createS3Client} from '../../src/aws/clients.js'
import {handleReportMessage, type MessageOutcome, s3ReportReader, s3Url, settleMessage} from '../../src/queue/report-message.js'
import {renderReport} from '../../src/render/reports.js'
import {awsOptions, logLine} from './environment.js'

/** The parts of Lambda's SQS event and batch response used here. */
export interface SqsEvent {
  Records: {messageId: string; body: string}[]
}
export interface SqsBatchResponse {
  batchItemFailures: {itemIdentifier: string}[]
}

/** Per report: one JSON line (for Logs Insights), then the readable table as one log event. */
function log(outcome: MessageOutcome): void {
  const {messageId} = outcome
  if (outcome.status === 'failed') return console.error(JSON.stringify({messageId, status: 'failed', reason: outcome.reason}))
  if (outcome.status === 'test-event') return logLine({messageId, status: 'test-event', acknowledged: true})
  for (const skipped of outcome.skipped) logLine({messageId, status: 'skipped', skipped})
  for (const {report, ...object} of outcome.reports) {
    logLine({messageId, status: 'report', object: s3Url(object), report})
    console.log(renderReport(report, 'table', {color: false}))
  }
}

/**
 * Each message is handled on its own; only the ones that failed (malformed, missing object,
 * unreadable report) are returned, so SQS redelivers just those and, after 3 receives, moves them
 * to the dead-letter queue. Test events and skipped records count as handled.
 */
export async function handler(event: SqsEvent): Promise<SqsBatchResponse> {
  const s3 = createS3Client(awsOptions(process.env))
  try {
    const read = s3ReportReader(s3)
    const batchItemFailures: SqsBatchResponse['batchItemFailures'] = []
    for (const record of event.Records) {
      const outcome = await settleMessage(record, (message) => handleReportMessage(message, read), log)
      if (outcome.status === 'failed') batchItemFailures.push({itemIdentifier: record.messageId})
    }
    return {batchItemFailures}
  } finally {
    s3.destroy()
  }
}
