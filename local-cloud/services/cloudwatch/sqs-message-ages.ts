import type { PollerEvent } from '../lambda/poller-events';

/**
 * SQS leaves a message received this many times and not deleted out of ApproximateAgeOfOldestMessage
 * (a poison pill would otherwise hold the metric up), counting the next oldest instead.
 */
export const POISON_RECEIVE_COUNT = 3;

/** What the sampler read of a queue along with the age. */
export interface QueueState {
  /** Messages visible, in flight and delayed: none means no age is reported. */
  readonly messages: number;
  readonly visibilityTimeoutSeconds: number;
  /** From the queue's redrive policy, if it has one. */
  readonly maxReceiveCount?: number;
}

interface SeenMessage {
  readonly sentTimestamp: number;
  readonly receiveCount: number;
  readonly receivedAt: number;
}

/**
 * The send times of the messages Lambda's SQS pollers received and have not deleted, by queue URL,
 * from which each queue's ApproximateAgeOfOldestMessage is computed as SQS defines it: the age of
 * the oldest message still in the queue, leaving out messages received three times or more.
 * ElasticMQ answers no such attribute, and only the poller receives from a queue with a mapping,
 * so a message it received and did not delete is still in the queue, until either its receive
 * count passes the redrive policy's maxReceiveCount (SQS moves it to the dead-letter queue when
 * it becomes visible again) or the queue is seen empty.
 */
export class QueueMessageAges {
  private readonly queues = new Map<string, Map<string, SeenMessage>>();

  observe(event: PollerEvent): void {
    if (event.kind === 'sqs-received') {
      const seen = this.queueOf(event.queueUrl);
      for (const message of event.messages) {
        if (!Number.isFinite(message.sentTimestamp) || !Number.isFinite(message.receiveCount)) continue;
        seen.set(message.messageId, { sentTimestamp: message.sentTimestamp, receiveCount: message.receiveCount, receivedAt: event.at });
      }
    } else if (event.kind === 'sqs-deleted') {
      const seen = this.queues.get(event.queueUrl);
      for (const messageId of event.messageIds) seen?.delete(messageId);
    }
  }

  /** Whether a poller receives from this queue (else its age is unknown here). */
  polled(queueUrl: string): boolean {
    return this.queues.has(queueUrl);
  }

  /** The queue's ApproximateAgeOfOldestMessage in seconds at `now`, or undefined when SQS would report none. */
  oldestAgeSeconds(queueUrl: string, state: QueueState, now: number): number | undefined {
    const seen = this.queues.get(queueUrl);
    if (seen === undefined) return undefined;
    if (state.messages === 0) {
      seen.clear();
      return undefined;
    }
    let oldest: number | undefined;
    for (const [messageId, message] of seen) {
      const movedToDeadLetters =
        state.maxReceiveCount !== undefined && message.receiveCount >= state.maxReceiveCount && now >= message.receivedAt + state.visibilityTimeoutSeconds * 1000;
      if (movedToDeadLetters) seen.delete(messageId);
      else if (message.receiveCount < POISON_RECEIVE_COUNT && (oldest === undefined || message.sentTimestamp < oldest)) oldest = message.sentTimestamp;
    }
    return oldest === undefined ? undefined : Math.max(0, Math.floor((now - oldest) / 1000));
  }

  private queueOf(queueUrl: string): Map<string, SeenMessage> {
    let seen = this.queues.get(queueUrl);
    if (seen === undefined) {
      seen = new Map();
      this.queues.set(queueUrl, seen);
    }
    return seen;
  }
}
