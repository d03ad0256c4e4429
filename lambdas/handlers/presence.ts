import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { DynamoDbTypingGate } from '../adapters/dynamodb-typing-gate';
import { deliverToUsers } from '../domain/chat/deliver-message';
import { ActivityTracker } from '../domain/connections';
import { admitTyping } from '../domain/typing';
import { reqIdSchema } from '../domain/protocol';
import * as z from '../domain/schema';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  CONNECTIONS_TABLE: env.name(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
  THREADS_TABLE: env.name(),
  USER_THREADS_TABLE: env.name(),
  SEND_RECORDS_TABLE: env.name(),
});
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const activity = new ActivityTracker(registry, { idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });
const threads = new DynamoDbThreadStore(documentClient, {
  threads: config.THREADS_TABLE,
  userThreads: config.USER_THREADS_TABLE,
  sendRecords: config.SEND_RECORDS_TABLE,
});
const typingGate = new DynamoDbTypingGate(documentClient, config.THREADS_TABLE);
const notifier = new ApiGatewayConnectionNotifier(managementApiClient);

const pingFrame = z.object({ action: z.literal('ping'), reqId: z.optional(reqIdSchema) });
const typingFrame = z.object({
  action: z.literal('typing'),
  reqId: z.optional(reqIdSchema),
  threadId: z.string().check(z.minLength(1, 'must be 1-128 characters'), z.maxLength(128, 'must be 1-128 characters')),
  state: z.enum(['start', 'stop']),
});

/**
 * Liveness and presence: any frame keeps a connection counted as live (written at most once per
 * quarter idle period per connection and execution environment); `typing` tells the other members.
 */
export const handler = instrumented(
  actionRouter(
    {
      // Like every frame, a ping refreshes the connection's expiry (onActivity, below).
      ping: action(pingFrame, async () => ({ type: 'pong' })),
      typing: action(typingFrame, async (frame, caller) => {
        if (await admitTyping(typingGate, frame.threadId, caller.userId, Date.now())) {
          const others = (await threads.membersOf(frame.threadId)).filter((member) => member !== caller.userId);
          const signal = { type: 'typing', threadId: frame.threadId, userId: caller.userId, state: frame.state };
          await deliverToUsers(signal, others, caller.connectionId, registry, notifier);
        }
        return undefined;
      }),
    },
    { onActivity: (caller) => activity.noteActivity(caller) },
  ),
);
