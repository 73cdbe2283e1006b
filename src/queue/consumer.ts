import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs'

import type {MessageOutcome, QueueMessage} from './report-message.js'

export interface ConsumeOptions {
  sqs: SQSClient
  queueUrl: string
  /**
   * Decides what became of a message (and may print it); a `failed` outcome leaves it on the queue.
   * Wrapped in settleMessage, a crash is such an outcome; one that still throws ends the run.
   */
  handle: (message: QueueMessage) => Promise<MessageOutcome>
  /** Long-polling wait per receive, 0–20 seconds. */
  waitSeconds?: number
  /** Stop at the first receive that comes back empty. */
  once?: boolean
  /** Stop after this many messages. */
  maxMessages?: number
  /** Stop receiving; the messages in hand are finished first. */
  signal?: AbortSignal
  /**
   * How long a received message stays invisible to other consumers. While messages are in hand the
   * lease is renewed every third of it, so slow handling never lets another consumer take them.
   */
  leaseSeconds?: number
  /** A lease that could not be renewed (the message may be delivered again). */
  onLeaseLost: (messageId: string, reason: string) => void
}

export interface ConsumeResult {
  received: number
  /** Handled and deleted (test events included). */
  deleted: number
  /** Left on the queue for the redrive policy, with the reason. */
  failures: {messageId: string; reason: string}[]
  stoppedBy: 'empty' | 'max-messages' | 'signal'
}

const SQS_MAX_BATCH = 10

/** Renews the lease on the messages in hand until they are settled. */
class LeaseKeeper {
  private readonly inHand = new Map<string, string>()
  private readonly timer: NodeJS.Timeout
  /** Renewals run one after another; `settle` waits for the one on its way. */
  private renewals: Promise<void> = Promise.resolve()

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly leaseSeconds: number,
    private readonly onLost: (messageId: string, reason: string) => void,
  ) {
    this.timer = setInterval(() => {
      this.renewals = this.renewals.then(() => this.renew())
    }, (leaseSeconds * 1000) / 3)
  }

  hold(messages: Message[]): void {
    for (const message of messages) this.inHand.set(message.MessageId!, message.ReceiptHandle!)
  }

  /**
   * Stop renewing a message before it is deleted or left to expire. Waits out a renewal on its way,
   * which would otherwise report a just-deleted message as a lost lease.
   */
  async settle(messageId: string): Promise<void> {
    let pending
    do {
      pending = this.renewals
      await pending
    } while (pending !== this.renewals)
    this.inHand.delete(messageId)
  }

  private async renew(): Promise<void> {
    const entries = [...this.inHand].map(([Id, ReceiptHandle]) => ({Id, ReceiptHandle, VisibilityTimeout: this.leaseSeconds}))
    if (entries.length === 0) return
    try {
      const {Failed = []} = await this.sqs.send(new ChangeMessageVisibilityBatchCommand({QueueUrl: this.queueUrl, Entries: entries}))
      for (const failure of Failed) this.onLost(failure.Id!, `${failure.Code}: ${failure.Message}`)
    } catch (error) {
      for (const {Id} of entries) this.onLost(Id, (error as Error).message)
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.renewals
  }
}

/**
 * Long-poll a queue and hand each message to `handle`, one at a time in receive order. A message
 * is deleted only when its outcome is not `failed`; a failed one stays (invisible until its lease
 * ends) so the queue's redrive policy can move it to the dead-letter queue. Receive and delete
 * errors are not the message's fault and end the run (what is in hand becomes visible again).
 */
export async function consumeQueue(options: ConsumeOptions): Promise<ConsumeResult> {
  const {sqs, queueUrl, handle, signal, waitSeconds = 20, leaseSeconds = 30} = options
  const result: ConsumeResult = {received: 0, deleted: 0, failures: [], stoppedBy: 'signal'}
  const leases = new LeaseKeeper(sqs, queueUrl, leaseSeconds, options.onLeaseLost)
  try {
    while (!signal?.aborted) {
      const wanted = Math.min(SQS_MAX_BATCH, (options.maxMessages ?? Infinity) - result.received)
      if (wanted <= 0) {
        result.stoppedBy = 'max-messages'
        break
      }
      let messages: Message[]
      try {
        ;({Messages: messages = []} = await sqs.send(
          new ReceiveMessageCommand({QueueUrl: queueUrl, MaxNumberOfMessages: wanted, WaitTimeSeconds: waitSeconds, VisibilityTimeout: leaseSeconds}),
          {abortSignal: signal},
        ))
      } catch (error) {
        if (signal?.aborted) break
        throw error
      }
      if (messages.length === 0 && options.once) {
        result.stoppedBy = 'empty'
        break
      }
      result.received += messages.length
      leases.hold(messages)
      // Once received, a message is finished even after a stop signal: that is the graceful part.
      for (const message of messages) {
        const outcome = await handle({messageId: message.MessageId!, body: message.Body!})
        await leases.settle(message.MessageId!)
        if (outcome.status === 'failed') {
          result.failures.push({messageId: outcome.messageId, reason: outcome.reason})
          continue
        }
        await sqs.send(new DeleteMessageCommand({QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle}))
        result.deleted++
      }
    }
    return result
  } finally {
    await leases.stop()
  }
}
