import {Flags} from '@oclif/core'
import {createS3Client, createSqsClient} from '../aws/clients.js'
import {BaseCommand} from '../cli/base-command.js'
import {endpoint, profile, region, urlFlag} from '../cli/flags.js'
import {consumeQueue} from '../queue/consumer.js'
import {handleReportMessage, type MessageOutcome, type QueueMessage, s3ReportReader, s3Url, settleMessage} from '../queue/report-message.js'
import {useColor} from '../render/progress.js'
import {REPORT_FORMATS, renderReport, type ReportFormat} from '../render/reports.js'

export default class Consume extends BaseCommand {
  static override summary = 'Long-poll an SQS queue of S3 event notifications and print each report written'
  static override description = [
    'Every ObjectCreated record names a report in S3; it is read, checked and printed with the renderer of `dataquest report`.',
    'A message is deleted only after every record in it was handled. A malformed message, a missing object or an unreadable report is logged on stderr with the message id, and the message is left on the queue, whose redrive policy moves it to the dead-letter queue. Exit code 1 when any message failed.',
    'SIGINT/SIGTERM stop receiving; the messages in hand are finished first.',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> consume --queue https://sqs.us-east-1.amazonaws.com/123456789012/dataquest-reports',
    'DATAQUEST_QUEUE_URL=… <%= config.bin %> consume --once --format json',
  ]

  // Reports are the output here (`--format json` gives one JSON line per report); there is no final JSON result.
  static override enableJsonFlag = false

  static override flags = {
    queue: urlFlag({description: 'SQS queue of S3 event notifications (required)', env: 'DATAQUEST_QUEUE_URL'}),
    wait: Flags.integer({description: 'long-polling wait per receive, 0–20 seconds', default: 20, min: 0, max: 20, helpValue: 'SECONDS'}),
    once: Flags.boolean({description: 'stop at the first receive that comes back empty'}),
    'max-messages': Flags.integer({description: 'stop after N messages', min: 1, helpValue: 'N'}),
    format: Flags.option({options: REPORT_FORMATS, default: 'table' as const, description: 'how to print each report (json: one line per report)'})(),
    endpoint,
    region,
    profile,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Consume)
    if (!flags.queue) this.error('no queue to consume: pass --queue URL or set DATAQUEST_QUEUE_URL', {exit: 2})
    const aws = this.awsOptions(flags)
    const sqs = createSqsClient(aws)
    const s3 = createS3Client(aws)
    const read = s3ReportReader(s3)
    const color = useColor(process.stdout, process.env)
    const stop = new AbortController()
    const onSignal = (signal: NodeJS.Signals): void => {
      this.logToStderr(`${signal}: finishing the messages in hand, then stopping`)
      stop.abort()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      const result = await consumeQueue({
        sqs,
        queueUrl: flags.queue,
        waitSeconds: flags.wait,
        once: flags.once,
        maxMessages: flags['max-messages'],
        signal: stop.signal,
        handle: (message: QueueMessage) =>
          settleMessage(message, (received) => handleReportMessage(received, read), (outcome) => this.print(outcome, flags.format, color)),
        // A lease lost mid-handling is staged in test/queue.test.ts; here it is only worded.
        /* c8 ignore next 2 */
        onLeaseLost: (messageId, reason) =>
          this.logToStderr(`message ${messageId}: its visibility could not be extended (${reason}); it may be delivered again`),
      })
      const failed = result.failures.length
      this.logToStderr(`${result.received} message(s) received, ${result.deleted} deleted, ${failed} left on the queue`)
      if (failed > 0) this.error(`${failed} message(s) could not be handled; they stay on the queue for its dead-letter queue`, {exit: 1})
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      sqs.destroy()
      s3.destroy()
    }
  }

  /** Reports to stdout; acknowledgements, skips and failures to stderr, each with its message id. */
  private async print(outcome: MessageOutcome, format: ReportFormat, color: boolean): Promise<void> {
    const {messageId} = outcome
    if (outcome.status === 'failed') return this.logToStderr(`message ${messageId} left on the queue: ${outcome.reason}`)
    if (outcome.status === 'test-event') return this.logToStderr(`message ${messageId}: s3:TestEvent acknowledged`)
    // Every report is rendered before the first line is printed: a message's lines stay together.
    const rendered = await Promise.all(outcome.reports.map(async ({report, ...object}) => ({object, text: await renderReport(report, format, {color})})))
    for (const skipped of outcome.skipped) this.logToStderr(`message ${messageId}: skipped ${skipped}`)
    for (const {object, text} of rendered) {
      this.logToStderr(`message ${messageId}: ${s3Url(object)}`)
      // JSON is one line per report (log pipelines); the other formats get a blank line between reports.
      this.log(format === 'json' ? text : `${text}\n`)
    }
  }
}
