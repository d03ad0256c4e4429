import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { KeyspacesMessageHistory } from '../adapters/keyspaces-message-history';
import { SqsMessageQueue } from '../adapters/sqs-message-queue';
import { deliverMessage } from '../domain/chat/deliver-message';
import { getMessagesFrame, sendMessageFrame } from '../domain/chat/frames';
import { getMessages } from '../domain/chat/get-messages';
import { sendMessage } from '../domain/chat/send-message';
import { documentClient } from '../shared/clients/dynamodb';
import { cassandraClient } from '../shared/clients/keyspaces';
import { managementApiClient } from '../shared/clients/management-api';
import { sqsClient } from '../shared/clients/sqs';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  THREADS_TABLE: env.name(),
  USER_THREADS_TABLE: env.name(),
  SEND_RECORDS_TABLE: env.name(),
  CONNECTIONS_TABLE: env.name(),
  MESSAGE_QUEUE_URL: env.url(['https:', 'http:']),
  HISTORY_KEYSPACE: env.name(),
  MESSAGES_TABLE: env.name(),
});

const threads = new DynamoDbThreadStore(documentClient, {
  threads: config.THREADS_TABLE,
  userThreads: config.USER_THREADS_TABLE,
  sendRecords: config.SEND_RECORDS_TABLE,
});
const queue = new SqsMessageQueue(sqsClient, config.MESSAGE_QUEUE_URL);
const history = new KeyspacesMessageHistory(cassandraClient, config.HISTORY_KEYSPACE, config.MESSAGES_TABLE);
const connections = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const notifier = new ApiGatewayConnectionNotifier(managementApiClient);

/** Messaging: sending with per-thread order, delivery to members, and reading history. */
export const handler = instrumented(
  actionRouter({
    sendMessage: action(sendMessageFrame, async (frame, caller) => {
      const { message, isNew } = await sendMessage({ ...frame, senderId: caller.userId }, { threads, queue, now: Date.now });
      logger.appendKeys({ threadId: message.threadId, seq: message.seq });
      // The ack goes out before delivery starts, so its latency does not grow with the group.
      await notifier.post(caller.connectionId, {
        type: 'ack',
        ...(frame.reqId === undefined ? {} : { reqId: frame.reqId }),
        status: 'sent',
        clientMsgId: message.clientMsgId,
        threadId: message.threadId,
        seq: message.seq,
        messageId: message.messageId,
        sentAt: message.sentAt,
      });
      if (!isNew) return undefined;
      metrics.addMetric('MessagesSent', MetricUnit.Count, 1);
      const report = await deliverMessage(message, await threads.membersOf(message.threadId), caller.connectionId, connections, notifier);
      metrics.addMetric('FramesDelivered', MetricUnit.Count, report.delivered);
      if (report.failed > 0) logger.warn('some deliveries failed', { ...report });
      return undefined;
    }),
    getMessages: action(getMessagesFrame, async (frame, caller) => {
      const page = await getMessages({ ...frame, userId: caller.userId }, threads, history);
      return {
        type: 'messages',
        threadId: frame.threadId,
        messages: page.messages.map(({ threadId: _thread, ...message }) => message),
        hasMore: page.hasMore,
      };
    }),
  }),
);
