// Lambda: the cloud twin of `dataquest consume`, triggered by the report queue with partial batch responses.
import {createS3Client} from '../../src/aws/clients.js'
import {handleReportMessage, type MessageOutcome, type ReportKeys, s3ReportReader, s3Url, settleMessage} from '../../src/queue/report-message.js'
import {renderReport} from '../../src/render/reports.js'
import type {Report} from '../../src/reports/index.js'
import {REPORT_NAMES, reportKey} from '../../src/reports/types.js'
import {awsOptions, logLine} from './environment.js'

/** The parts of Lambda's SQS event and batch response used here. */
export interface SqsEvent {
  Records: {messageId: string; body: string}[]
}
export interface SqsBatchResponse {
  batchItemFailures: {itemIdentifier: string}[]
}

/** Rows of a report's table in its log event: enough to read, and the same cost whatever the report's size. */
export const TABLE_ROWS = 20
/**
 * CloudWatch Logs takes events up to 256 KB. The table is cut at this many characters (≤ 4 bytes
 * each in UTF-8) should its rows hold very long text, which leaves room for the other fields.
 */
export const MAX_TABLE_CHARS = 32_000

const REPORT_KEYS = REPORT_NAMES.map(reportKey)
/**
 * The three reports' keys only (the bucket notification's filter too): any other object, a stray
 * `.json` included, is logged as skipped rather than failed, retried and dead-lettered.
 */
export const LOGGED_KEYS: ReportKeys = {test: (key) => REPORT_KEYS.includes(key), description: `one of the reports ${REPORT_KEYS.join(', ')}`}

/**
 * A report as one log event's fields: its name, parameters and inputs, its result (population) or
 * its row count, and the readable table of its first TABLE_ROWS rows (the table's last line counts
 * the rest), so the event stays small whatever the report's size.
 */
export async function reportFields(report: Report): Promise<Record<string, unknown>> {
  const rendered = await renderReport(report, 'table', {color: false, limit: TABLE_ROWS})
  const table = rendered.length > MAX_TABLE_CHARS ? `${rendered.slice(0, MAX_TABLE_CHARS)}\n… (cut at ${MAX_TABLE_CHARS} characters)` : rendered
  const size = 'rows' in report ? {rows: report.rows.length} : {result: report.result}
  return {report: report.report, parameters: report.parameters, inputs: report.inputs, ...size, table}
}

/** Per message: one JSON event per report (the table a field of it), per skipped record, or for the failure. */
async function log(outcome: MessageOutcome): Promise<void> {
  const {messageId} = outcome
  if (outcome.status === 'failed') return logLine({messageId, status: 'failed', reason: outcome.reason}, 'error')
  if (outcome.status === 'test-event') return logLine({messageId, status: 'test-event', acknowledged: true})
  for (const skipped of outcome.skipped) logLine({messageId, status: 'skipped', skipped}, 'warn')
  for (const {report, ...object} of outcome.reports) logLine({messageId, status: 'report', object: s3Url(object), ...(await reportFields(report))})
}

/**
 * Each message is handled on its own; only the ones that failed (malformed, missing object,
 * unreadable report) are returned, so SQS redelivers just those and, after 5 receives, moves them
 * to the dead-letter queue. Test events and skipped records count as handled.
 */
export async function handler(event: SqsEvent): Promise<SqsBatchResponse> {
  const s3 = createS3Client(awsOptions(process.env))
  try {
    const read = s3ReportReader(s3)
    const batchItemFailures: SqsBatchResponse['batchItemFailures'] = []
    for (const record of event.Records) {
      const outcome = await settleMessage(record, (message) => handleReportMessage(message, read, LOGGED_KEYS), log)
      if (outcome.status === 'failed') batchItemFailures.push({itemIdentifier: record.messageId})
    }
    return {batchItemFailures}
  } finally {
    s3.destroy()
  }
}
