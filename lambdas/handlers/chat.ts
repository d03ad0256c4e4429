import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbSendRateCounter } from '../adapters/dynamodb-send-rate-counter';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { SnsPushRequester } from '../adapters/sns-push-requester';
import { SqsMessageQueue } from '../adapters/sqs-message-queue';
import { deliverToUsers, messageFrame } from '../domain/chat/deliver-message';
import {
  addMembersFrame,
  createGroupFrame,
  listThreadsFrame,
  receiptFrame,
  removeMemberFrame,
  sendMessageFrame,
} from '../../protocol/client-frames';
import { addMembers, createGroup, removeMember, type MembershipChange } from '../domain/chat/groups';
import { listThreads } from '../domain/chat/list-threads';
import { recordReceipt } from '../domain/chat/receipts';
import { sendMessage } from '../domain/chat/send-message';
import { pushPreview } from '../domain/push';
import { ActivityTracker } from '../domain/connections';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { snsClient } from '../shared/clients/sns';
import { sqsClient } from '../shared/clients/sqs';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';
import { action, actionRouter, type ConnectionCaller } from '../shared/websocket';

const config = loadConfig({
  ...chatTablesEnvironment,
  CONNECTIONS_TABLE: env.name(),
  MESSAGE_QUEUE_URL: env.url(['https:', 'http:']),
  MAX_GROUP_MEMBERS: env.positiveInt(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
  PUSH_TOPIC_ARN: env.name(),
});

const threads = new DynamoDbThreadStore(documentClient, chatTablesOf(config));
const queue = new SqsMessageQueue(sqsClient, config.MESSAGE_QUEUE_URL);
const rate = new DynamoDbSendRateCounter(documentClient, config.SEND_RECORDS_TABLE);
const connections = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const notifier = new ApiGatewayConnectionNotifier(managementApiClient);
const push = new SnsPushRequester(snsClient, config.PUSH_TOPIC_ARN);
const activity = new ActivityTracker(connections, notifier, { idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });

/** Tells every member about a membership change, then answers the caller with the same frame. */
async function announce(change: MembershipChange, caller: ConnectionCaller) {
  const frame = { type: 'thread', ...change.view };
  await deliverToUsers(frame, change.notify, caller.connectionId, connections, notifier);
  return frame;
}

/** Messaging: sending with one order per thread, delivery, receipts, groups and listing (history reads are `get-messages.ts`). */
export const handler = instrumented(
  actionRouter({
    sendMessage: action(sendMessageFrame, async (frame, caller) => {
      const { message, isNew } = await sendMessage({ ...frame, senderId: caller.userId }, { threads, queue, rate, now: Date.now });
      logger.appendKeys({ threadId: message.threadId, seq: message.seq });
      // The ack goes out before delivery starts, so its latency does not grow with the group. A
      // failed ack must not keep the message from the members: the sender's retry gets the ack.
      await notifier.post(caller.connectionId, {
        type: 'ack',
        ...(frame.reqId === undefined ? {} : { reqId: frame.reqId }),
        status: 'sent',
        clientMsgId: message.clientMsgId,
        threadId: message.threadId,
        seq: message.seq,
        messageId: message.messageId,
        sentAt: message.sentAt,
      }).catch((error: Error) => logger.warn('ack not posted', { error }));
      if (!isNew) return undefined;
      metrics.addMetric('MessagesSent', MetricUnit.Count, 1);
      const members = await threads.membersOf(message.threadId);
      const report = await deliverToUsers(messageFrame(message), members, caller.connectionId, connections, notifier);
      metrics.addMetric('FramesDelivered', MetricUnit.Count, report.delivered);
      if (report.failed > 0) logger.warn('some deliveries failed', { ...report });
      const offline = report.offline.filter((member) => member !== caller.userId);
      if (offline.length > 0) {
        await push
          .request({ recipients: offline, senderId: message.senderId, threadId: message.threadId, seq: message.seq, preview: pushPreview(message.text) })
          .catch((error: Error) => logger.error('push request not published', { error }));
      }
      return undefined;
    }),

    ack: action(receiptFrame, async (frame, caller) => {
      const receipt = await recordReceipt(threads, { ...frame, userId: caller.userId });
      if (receipt !== undefined) {
        const others = (await threads.membersOf(frame.threadId)).filter((member) => member !== caller.userId);
        await deliverToUsers({ type: 'receipt', ...receipt }, others, caller.connectionId, connections, notifier);
      }
      return undefined;
    }),

    createGroup: action(createGroupFrame, async (frame, caller) =>
      announce(await createGroup(threads, caller.userId, frame.name.trim(), frame.members, config.MAX_GROUP_MEMBERS, Date.now()), caller),
    ),

    addMembers: action(addMembersFrame, async (frame, caller) =>
      announce(await addMembers(threads, caller.userId, frame.threadId, frame.userIds, config.MAX_GROUP_MEMBERS, Date.now()), caller),
    ),

    removeMember: action(removeMemberFrame, async (frame, caller) =>
      announce(await removeMember(threads, caller.userId, frame.threadId, frame.userId), caller),
    ),

    listThreads: action(listThreadsFrame, async (frame, caller) => ({
      type: 'threads',
      ...(await listThreads(threads, caller.userId, frame.cursor)),
    })),
  }, { onActivity: (caller) => activity.noteActivity(caller) }),
);
