import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SNSEvent } from 'aws-lambda';
import { DynamoDbPushDeviceRegistry } from '../adapters/dynamodb-push-device-registry';
import { DynamoDbUserSettings } from '../adapters/dynamodb-user-settings';
import { SnsPushSender } from '../adapters/sns-push-sender';
import { SqsPushRetries } from '../adapters/sqs-push-retries';
import { describeIssues } from '../domain/protocol';
import { pushRequestSchema } from '../domain/push';
import { deliverPush } from '../domain/push-delivery';
import { documentClient } from '../shared/clients/dynamodb';
import { snsClient } from '../shared/clients/sns';
import { sqsClient } from '../shared/clients/sqs';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  PUSH_DEVICES_TABLE: env.name(),
  USER_SETTINGS_TABLE: env.name(),
  PUSH_RETRY_QUEUE_URL: env.url(['https:', 'http:']),
});
const ports = {
  registry: new DynamoDbPushDeviceRegistry(documentClient, config.PUSH_DEVICES_TABLE),
  sender: new SnsPushSender(snsClient),
  settings: new DynamoDbUserSettings(documentClient, config.USER_SETTINGS_TABLE),
};
const retries = new SqsPushRetries(sqsClient, config.PUSH_RETRY_QUEUE_URL);

/**
 * Subscribed to the push topic: sends each published request to the recipients' registered
 * devices, each device on its own. A device that cannot be reached is queued for a retry of its
 * own delivery (`retry-push.ts`), so the others are neither held up nor sent twice. A request it
 * cannot read, or whose devices it cannot look up, fails the invocation (nothing was sent), so
 * that Lambda retries it and in the end moves it to the dead-letter queue. Only when the retry
 * queue cannot take a failed delivery does the whole request fail: its retry may then repeat a
 * notification on devices that had it, the lesser harm than losing it.
 */
export const handler = instrumented(async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records) {
    let body: unknown;
    try {
      body = JSON.parse(record.Sns.Message);
    } catch {
      body = undefined;
    }
    const request = pushRequestSchema.safeParse(body);
    if (!request.success) {
      metrics.addMetric('UnreadablePushRequests', MetricUnit.Count, 1);
      throw new Error(`push request ${record.Sns.MessageId} is unreadable: ${describeIssues(request.error)}`);
    }
    logger.appendKeys({ threadId: request.data.threadId });
    const report = await deliverPush({ ...request.data, ...ports });
    metrics.addMetric('PushNotificationsSent', MetricUnit.Count, report.sent);
    metrics.addMetric('PushDevicesRemoved', MetricUnit.Count, report.removed);
    metrics.addMetric('PushSendFailures', MetricUnit.Count, report.failed.length);
    if (report.failed.length > 0) {
      logger.warn('push deliveries failed; each is retried on its own', { count: report.failed.length, firstError: report.failed[0]!.error as Error });
      const unqueued = await retries.retryLater(report.failed.map(({ device, notification }) => ({ device, notification })));
      if (unqueued.length > 0) throw new Error(`${unqueued.length} failed push deliveries could not be queued for a retry`);
    }
    logger.info('push request delivered', { snsMessageId: record.Sns.MessageId, sent: report.sent, removed: report.removed, failed: report.failed.length });
  }
});
