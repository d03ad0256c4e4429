import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbStagedMessages } from '../adapters/dynamodb-staged-messages';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { SnsPushRequester } from '../adapters/sns-push-requester';
import { SqsMessageQueue } from '../adapters/sqs-message-queue';
import { relayStagedMessages, type RelayObserver } from '../domain/chat/outbox-relay';
import { storedMessageSchema, type StoredMessage } from '../domain/messages';
import { describeIssues } from '../domain/protocol';
import * as z from '../domain/schema';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { snsClient } from '../shared/clients/sns';
import { sqsClient } from '../shared/clients/sqs';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { readStreamRecords, retryFrom, streamAttribute } from '../shared/dynamodb-stream';
import { deliveryObserver } from '../shared/delivery-observer';
import { faultPoint } from '../shared/fault-points';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  ...chatTablesEnvironment,
  CONNECTIONS_TABLE: env.name(),
  MESSAGE_QUEUE_URL: env.url(['https:', 'http:']),
  PUSH_TOPIC_ARN: env.name(),
});
const ports = {
  threads: new DynamoDbThreadStore(documentClient, chatTablesOf(config)),
  staged: new DynamoDbStagedMessages(documentClient, config.THREADS_TABLE),
  queue: new SqsMessageQueue(sqsClient, config.MESSAGE_QUEUE_URL),
  connections: new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE),
  notifier: new ApiGatewayConnectionNotifier(managementApiClient),
  push: new SnsPushRequester(snsClient, config.PUSH_TOPIC_ARN),
  clock: Date.now,
};

const observer: RelayObserver = {
  delivering(message) {
    logger.warn('staged message not delivered by its send within the lease; relaying it', { threadId: message.threadId, seq: message.seq });
    faultPoint('relay.delivering');
  },
  ...deliveryObserver('relay'),
};

/** A staged message's fields as the stream's images carry them (see `lambdas/adapters/dynamodb-thread-store.ts`). */
const stagedImage = {
  threadId: streamAttribute.string(),
  sk: z.object({ S: z.string().check(z.startsWith('msg#')) }),
  seq: streamAttribute.number(),
};

/**
 * A newly staged message (INSERT), or a staged message marked delivered (MODIFY with `deliveredAt`):
 * the mark tells the relay that the message's send delivered it.
 */
const outboxRecord = z.union([
  z.object({
    eventName: z.literal('INSERT'),
    dynamodb: z.object({
      SequenceNumber: z.string().check(z.minLength(1)),
      NewImage: z.object({
        ...stagedImage,
        messageId: streamAttribute.string(),
        senderId: streamAttribute.string(),
        clientMsgId: streamAttribute.string(),
        text: streamAttribute.string(),
        sentAt: streamAttribute.number(),
      }),
    }),
  }),
  z.object({
    eventName: z.literal('MODIFY'),
    dynamodb: z.object({
      SequenceNumber: z.string().check(z.minLength(1)),
      NewImage: z.object({ ...stagedImage, deliveredAt: streamAttribute.number() }),
    }),
  }),
]);

/**
 * The outbox relay, on the threads table's stream (staged messages only, by event filter): hands
 * what each send committed on to delivery (where the send did not), members' thread rows and
 * history (`lambdas/domain/chat/outbox-relay.ts`). The messages come from the stream's images,
 * never from a request. A thread that could not be relayed fails its records, so that Lambda
 * retries from the first of them; a record that can never be read is logged and skipped.
 */
export const handler = instrumented(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = readStreamRecords(event, outboxRecord, { metric: 'UnreadableOutboxRecords', what: 'outbox record' });
  const staged: Array<{ message: StoredMessage; sequenceNumber: string }> = [];
  const marked = [];
  for (const { record, sequenceNumber } of records) {
    const image = record.dynamodb.NewImage;
    if (record.eventName === 'MODIFY') {
      marked.push({ threadId: image.threadId.S, seq: image.seq });
      continue;
    }
    const { NewImage } = record.dynamodb;
    const message = storedMessageSchema.safeParse({
      threadId: NewImage.threadId.S,
      seq: NewImage.seq,
      messageId: NewImage.messageId.S,
      senderId: NewImage.senderId.S,
      clientMsgId: NewImage.clientMsgId.S,
      text: NewImage.text.S,
      sentAt: NewImage.sentAt,
    });
    if (!message.success) {
      metrics.addMetric('UnreadableOutboxRecords', MetricUnit.Count, 1);
      logger.error('outbox record unreadable, skipped', { sequenceNumber, reason: describeIssues(message.error) });
      continue;
    }
    staged.push({ message: message.data, sequenceNumber });
  }

  const report = await relayStagedMessages({ messages: staged.map(({ message }) => message), marked, observer, ...ports });
  for (const { threadId, error } of report.failures) logger.error('staged messages not relayed; to be retried', { threadId, error: error as Error });
  // Counts of zero are left out: each metric is bytes of the invocation's log line (docs/operations.md, "Custom metrics").
  if (report.queued > 0) metrics.addMetric('MessagesQueued', MetricUnit.Count, report.queued);
  if (report.delivered > 0) metrics.addMetric('MessagesRelayed', MetricUnit.Count, report.delivered);

  const failed = new Set(report.failures.map(({ threadId }) => threadId));
  return retryFrom(staged, ({ message }) => failed.has(message.threadId));
});
