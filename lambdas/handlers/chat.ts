import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbStagedMessages } from '../adapters/dynamodb-staged-messages';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { DynamoDbUserPairs } from '../adapters/dynamodb-user-pairs';
import { SnsPushRequester } from '../adapters/sns-push-requester';
import {
  acceptRequestFrame,
  addMembersFrame,
  blockUserFrame,
  createGroupFrame,
  declineRequestFrame,
  listBlocksFrame,
  listThreadsFrame,
  receiptFrame,
  removeMemberFrame,
  sendMessageFrame,
  unblockUserFrame,
  updateGroupFrame,
} from '../../protocol/client-frames';
import { ACTION_UNITS, createGroupUnits } from '../domain/budget';
import { acceptRequest, blockUser, declineRequest, listBlocks, unblockUser } from '../domain/chat/consent';
import { addMembers, createGroup, removeMember, updateGroup } from '../domain/chat/groups';
import { listThreads } from '../domain/chat/list-threads';
import { recordReceipt } from '../domain/chat/receipts';
import type { SendObserver } from '../domain/chat/ports';
import { sendMessage } from '../domain/chat/send-message';
import { ActivityTracker } from '../domain/connections';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { snsClient } from '../shared/clients/sns';
import { actionBudgetEnvironment } from '../shared/action-budget';
import { frameBudgetsOf } from '../shared/frame-budgets';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { deliveryObserver } from '../shared/delivery-observer';
import { faultPoint } from '../shared/fault-points';
import { instrumented, logger, metrics } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  ...chatTablesEnvironment,
  ...actionBudgetEnvironment,
  CONNECTIONS_TABLE: env.name(),
  MAX_GROUP_MEMBERS: env.positiveInt(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
  PUSH_TOPIC_ARN: env.name(),
});

const tables = chatTablesOf(config);
const threads = new DynamoDbThreadStore(documentClient, tables);
const pairs = new DynamoDbUserPairs(documentClient, tables);
const connections = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const notifier = new ApiGatewayConnectionNotifier(managementApiClient);
const activity = new ActivityTracker({ registry: connections, gateway: notifier, idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });

const delivery = deliveryObserver('send');

/** A send's steps, as logs and metrics (docs/operations.md lists them); `startedAt` is when the action began. */
const sendObserver = (startedAt: number): SendObserver => ({
  committed(message, isNew) {
    logger.appendKeys({ threadId: message.threadId, seq: message.seq, messageId: message.messageId });
    if (isNew) metrics.addMetric('MessagesSent', MetricUnit.Count, 1);
    faultPoint('chat.committed');
  },
  acked: () => metrics.addMetric('AckLatency', MetricUnit.Milliseconds, Date.now() - startedAt),
  ackFailed: (error) => logger.warn('ack not posted', { error: error as Error }),
  deliveryFailed: (error) => logger.warn('delivery after the ack failed; the outbox relay will deliver', { error: error as Error }),
  delivered(report) {
    delivery.delivered(report);
    metrics.addMetric('FanOutSize', MetricUnit.Count, report.delivered + report.gone + report.failed);
  },
  pushFailed: delivery.pushFailed,
  markFailed: delivery.markFailed,
});

const deliveryPorts = { threads, connections, notifier };
const membershipPorts = { ...deliveryPorts, pairs };
const sendPorts = {
  ...deliveryPorts,
  staged: new DynamoDbStagedMessages(documentClient, config.THREADS_TABLE),
  push: new SnsPushRequester(snsClient, config.PUSH_TOPIC_ARN),
  clock: Date.now,
};
const maxMembers = config.MAX_GROUP_MEMBERS;

/**
 * Messaging: sending with one order per thread, delivery, receipts, groups, listing, blocks and
 * message requests (history reads are `get-messages.ts`).
 */
export const handler = instrumented(
  actionRouter(
    {
      sendMessage: action(
        sendMessageFrame,
        async (frame, caller, purse) => {
          // The action posts its own ack, before delivery; the route response stays empty.
          const observer = sendObserver(Date.now());
          await sendMessage({ ...frame, senderId: caller.userId, fromConnectionId: caller.connectionId, ...sendPorts, purse, observer });
          return undefined;
        },
        // Paid by the send itself, from `sends`, beside its first read (commit-message.ts): a retry
        // is answered even at the send rate's limit.
        0,
      ),

      ack: action(
        receiptFrame,
        async (frame, caller, purse) => {
          await recordReceipt({ ...frame, userId: caller.userId, fromConnectionId: caller.connectionId, ...deliveryPorts, purse });
          return undefined;
        },
        // Paid by the receipt itself, from `acks`, beside its reads (receipts.ts): one write for a 1:1 thread's.
        0,
      ),

      createGroup: action(
        createGroupFrame,
        async (frame, caller, purse) =>
          createGroup({
            creatorId: caller.userId,
            name: frame.name.trim(),
            members: frame.members,
            historyForNewMembers: frame.historyForNewMembers,
            maxMembers,
            now: Date.now(),
            fromConnectionId: caller.connectionId,
            ...membershipPorts,
            purse,
          }),
        (frame) => createGroupUnits(ACTION_UNITS.createGroup, frame.members),
      ),

      addMembers: action(
        addMembersFrame,
        async (frame, caller, purse) =>
          addMembers({ callerId: caller.userId, threadId: frame.threadId, userIds: frame.userIds, maxMembers, now: Date.now(), fromConnectionId: caller.connectionId, ...membershipPorts, purse }),
        ACTION_UNITS.addMembers,
      ),

      removeMember: action(
        removeMemberFrame,
        async (frame, caller, purse) =>
          removeMember({ callerId: caller.userId, threadId: frame.threadId, userId: frame.userId, fromConnectionId: caller.connectionId, ...membershipPorts, purse }),
        ACTION_UNITS.removeMember,
      ),

      updateGroup: action(updateGroupFrame, async (frame, caller, purse) =>
        updateGroup({ callerId: caller.userId, threadId: frame.threadId, historyForNewMembers: frame.historyForNewMembers, fromConnectionId: caller.connectionId, ...membershipPorts, purse }),
      ),

      blockUser: action(blockUserFrame, async (frame, caller) => blockUser({ blockerId: caller.userId, userId: frame.userId, now: Date.now(), pairs }), ACTION_UNITS.blockUser),
      unblockUser: action(unblockUserFrame, async (frame, caller) => unblockUser({ blockerId: caller.userId, userId: frame.userId, pairs }), ACTION_UNITS.unblockUser),
      listBlocks: action(listBlocksFrame, async (frame, caller) => listBlocks({ ownerId: caller.userId, cursor: frame.cursor, pairs }), ACTION_UNITS.listBlocks),

      acceptRequest: action(acceptRequestFrame, async (frame, caller) => acceptRequest({ userId: caller.userId, threadId: frame.threadId, threads })),
      declineRequest: action(declineRequestFrame, async (frame, caller, purse) =>
        declineRequest({ userId: caller.userId, threadId: frame.threadId, fromConnectionId: caller.connectionId, ...membershipPorts, purse }),
      ),

      listThreads: action(
        listThreadsFrame,
        async (frame, caller, purse) => ({ type: 'threads', ...(await listThreads({ userId: caller.userId, cursor: frame.cursor, threads, purse })) }),
        ACTION_UNITS.listThreads,
      ),
    },
    { ...frameBudgetsOf(config), onActivity: (caller) => activity.noteActivity(caller) },
  ),
);
