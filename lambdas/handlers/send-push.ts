import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SNSEvent } from 'aws-lambda';
import { DynamoDbPushDeviceRegistry } from '../adapters/dynamodb-push-device-registry';
import { SnsPushSender } from '../adapters/sns-push-sender';
import { describeIssues } from '../domain/protocol';
import { pushRequestSchema } from '../domain/push';
import { deliverPush } from '../domain/push-delivery';
import { documentClient } from '../shared/clients/dynamodb';
import { snsClient } from '../shared/clients/sns';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({ PUSH_DEVICES_TABLE: env.name() });
const registry = new DynamoDbPushDeviceRegistry(documentClient, config.PUSH_DEVICES_TABLE);
const sender = new SnsPushSender(snsClient);

/**
 * Subscribed to the push topic: sends each published request to the recipients' registered
 * devices. A request it cannot read, or cannot deliver, fails the invocation, so that SNS retries
 * it and in the end moves it to the subscription's dead-letter queue.
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
    const report = await deliverPush({ ...request.data, registry, sender }).catch((error: unknown) => {
      metrics.addMetric('PushSendFailures', MetricUnit.Count, 1);
      throw error;
    });
    metrics.addMetric('PushNotificationsSent', MetricUnit.Count, report.sent);
    metrics.addMetric('PushDevicesRemoved', MetricUnit.Count, report.removed);
    logger.info('push request delivered', { snsMessageId: record.Sns.MessageId, ...report });
  }
});
