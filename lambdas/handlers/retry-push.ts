import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDbPushDeviceRegistry } from '../adapters/dynamodb-push-device-registry';
import { DynamoDbUserSettings } from '../adapters/dynamodb-user-settings';
import { SnsPushSender } from '../adapters/sns-push-sender';
import { describeIssues } from '../domain/protocol';
import { pushDeliverySchema } from '../domain/push';
import { retryDelivery } from '../domain/push-delivery';
import { documentClient } from '../shared/clients/dynamodb';
import { snsClient } from '../shared/clients/sns';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({ PUSH_DEVICES_TABLE: env.name(), USER_SETTINGS_TABLE: env.name() });
const ports = {
  registry: new DynamoDbPushDeviceRegistry(documentClient, config.PUSH_DEVICES_TABLE),
  sender: new SnsPushSender(snsClient),
  settings: new DynamoDbUserSettings(documentClient, config.USER_SETTINGS_TABLE),
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
    const problem = `push retry ${record.messageId} is unreadable: ${describeIssues(delivery.error)}`;
    // Reported failed, not dropped: the queue's redrive keeps it, in the dead-letter queue, for a look.
    logger.error(problem, { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount });
    throw new Error(problem);
  }
  const { device, notification } = delivery.data;
  const where = { messageId: record.messageId, userId: device.userId, deviceKey: device.deviceKey, threadId: notification.threadId, seq: notification.seq };
  let retried;
  try {
    retried = await retryDelivery({ delivery: delivery.data, ...ports });
  } catch (error) {
    metrics.addMetric('PushSendFailures', MetricUnit.Count, 1);
    logger.warn('push delivery failed again; it will be retried', { ...where, receiveCount: record.attributes.ApproximateReceiveCount, error: error as Error });
    throw error;
  }
  if (retried.outcome === 'unregistered') {
    metrics.addMetric('PushRetriesDropped', MetricUnit.Count, 1);
    logger.info('push retry dropped: the device is no longer registered to its user', { ...where, outcome: retried.outcome });
    return;
  }
  if (retried.previewWithheld) metrics.addMetric('PushPreviewsWithheld', MetricUnit.Count, 1);
  metrics.addMetric(retried.outcome === 'sent' ? 'PushNotificationsSent' : 'PushDevicesRemoved', MetricUnit.Count, 1);
  logger.info('push retry done', { ...where, outcome: retried.outcome, previewWithheld: retried.previewWithheld });
}

/**
 * Reads the push retry queue: one failed delivery (one device) per message, tried again on its
 * own, and only while it still applies (see retryDelivery). Those that fail again are reported
 * back (partial batch response), so SQS retries only them after the visibility timeout and, after
 * a few receives, moves them to the dead-letter queue.
 */
export const handler = instrumented(
  async (event: SQSEvent): Promise<SQSBatchResponse> => processPartialResponse(event, retry, processor),
);
