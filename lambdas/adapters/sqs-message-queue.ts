import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageQueue } from '../domain/chat/ports';
import type { StoredMessage } from '../domain/messages';

/** Most messages one SendMessageBatch takes. */
const BATCH_SIZE = 10;
/** Entries SQS refused are sent again this many times before they count as failed. */
const ATTEMPTS = 3;

/**
 * A message as an SQS body. SQS accepts only #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD and
 * #x10000-#x10FFFF; the text may hold U+FFFE or U+FFFF, which `JSON.stringify` leaves as they are,
 * so they go as JSON escapes, which `JSON.parse` turns back into the same text.
 */
export function messageBody(message: StoredMessage): string {
  return JSON.stringify(message).replace(/[\uFFFE\uFFFF]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
}

/** The queue of `lib/constructs/message-pipeline.ts`, read by the persistence function. */
export class SqsMessageQueue implements MessageQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueueAll(messages: readonly StoredMessage[]): Promise<StoredMessage[]> {
    const failed: StoredMessage[] = [];
    for (let start = 0; start < messages.length; start += BATCH_SIZE) {
      failed.push(...(await this.sendBatch(messages.slice(start, start + BATCH_SIZE))));
    }
    return failed;
  }

  /** One batch, with the entries SQS refused (a partial failure) sent again; a request that fails fails its whole batch. */
  private async sendBatch(batch: readonly StoredMessage[]): Promise<StoredMessage[]> {
    let pending = batch.map((message, index) => ({ Id: String(index), message }));
    for (let attempt = 1; attempt <= ATTEMPTS && pending.length > 0; attempt++) {
      try {
        const { Failed = [] } = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map(({ Id, message }) => ({ Id, MessageBody: messageBody(message) })),
          }),
        );
        const refused = new Set(Failed.map((entry) => entry.Id));
        pending = pending.filter(({ Id }) => refused.has(Id));
      } catch {
        if (attempt === ATTEMPTS) break;
      }
    }
    return pending.map(({ message }) => message);
  }
}
