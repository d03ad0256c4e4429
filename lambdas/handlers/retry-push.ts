import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDbPushDeviceRegistry } from '../adapters/dynamodb-push-device-registry';
import { SnsPushSender } from '../adapters/sns-push-sender';
import { describeIssues } from '../domain/protocol';
import { pushDeliverySchema } from '../domain/push';
import { sendDeliveries } from '../domain/push-delivery';
import { documentClient } from '../shared/clients/dynamodb';
import { snsClient } from '../shared/clients/sns';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({ PUSH_DEVICES_TABLE: env.name() });
const ports = {
  registry: new DynamoDbPushDeviceRegistry(documentClient, config.PUSH_DEVICES_TABLE),
  sender: new SnsPushSender(snsClient),
};
const processor = new BatchProcessor(EventType.SQS);

async function retry(record: SQSRecord): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const delivery = pushDeliverySchema.safeParse(body);
  if (!delivery.success) {
    metrics.addMetric('UnreadablePushRetries', MetricUnit.Count, 1);
    // Left to the queue's redrive, which moves it to the dead-letter queue.
    throw new Error(`push retry ${record.messageId} is unreadable: ${describeIssues(delivery.error)}`);
  }
  const report = await sendDeliveries({ deliveries: [delivery.data], ...ports });
  metrics.addMetric('PushNotificationsSent', MetricUnit.Count, report.sent);
  metrics.addMetric('PushDevicesRemoved', MetricUnit.Count, report.removed);
  const [failure] = report.failed;
  if (failure) {
    metrics.addMetric('PushSendFailures', MetricUnit.Count, 1);
    logger.warn('push delivery failed again; it will be retried', { receiveCount: record.attributes.ApproximateReceiveCount, error: failure.error as Error });
    throw failure.error;
  }
}

/**
 * Reads the push retry queue: one failed delivery (one device) per message, tried again on its
 * own. Those that fail again are reported back (partial batch response), so SQS retries only them
 * after the visibility timeout and, after a few receives, moves them to the dead-letter queue.
 */
export const handler = instrumented(
  async (event: SQSEvent): Promise<SQSBatchResponse> => processPartialResponse(event, retry, processor),
);
