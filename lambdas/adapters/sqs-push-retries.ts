import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PushDelivery, PushRetries } from '../domain/push-delivery';

/** Most messages one SendMessageBatch takes. */
const BATCH_SIZE = 10;
/** Seconds before a failed delivery's first retry; later ones follow the queue's visibility timeout. */
export const FIRST_RETRY_DELAY_SECONDS = 2;

/** The retry queue of `lib/constructs/push-notifications.ts`: one message per failed delivery. */
export class SqsPushRetries implements PushRetries {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async retryLater(deliveries: readonly PushDelivery[]): Promise<PushDelivery[]> {
    const unqueued: PushDelivery[] = [];
    for (let start = 0; start < deliveries.length; start += BATCH_SIZE) {
      const batch = deliveries.slice(start, start + BATCH_SIZE);
      try {
        const { Failed = [] } = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((delivery, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify({ device: delivery.device, notification: delivery.notification }),
              DelaySeconds: FIRST_RETRY_DELAY_SECONDS,
            })),
          }),
        );
        unqueued.push(...Failed.map((entry) => batch[Number(entry.Id)]!));
      } catch {
        unqueued.push(...batch);
      }
    }
    return unqueued;
  }
}
