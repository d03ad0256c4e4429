import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStatuses, DynamoDbPresenceSubscriptions } from '../adapters/dynamodb-presence';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { DynamoDbTypingGate } from '../adapters/dynamodb-typing-gate';
import { ActivityTracker } from '../domain/connections';
import { userIdSchema } from '../domain/identity';
import { MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL, subscribeToPresence } from '../domain/presence';
import { signalTyping } from '../domain/typing';
import { reqIdSchema } from '../domain/protocol';
import * as z from '../domain/schema';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  CONNECTIONS_TABLE: env.name(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
  ...chatTablesEnvironment,
  PRESENCE_TABLE: env.name(),
  PRESENCE_SUBSCRIPTIONS_TABLE: env.name(),
});
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const notifier = new ApiGatewayConnectionNotifier(managementApiClient);
const activity = new ActivityTracker({ registry, gateway: notifier, idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });
const threads = new DynamoDbThreadStore(documentClient, chatTablesOf(config));
const typingGate = new DynamoDbTypingGate(documentClient, config.THREADS_TABLE);
const presenceStatuses = new DynamoDbPresenceStatuses(documentClient, config.PRESENCE_TABLE);
const presenceSubscriptions = new DynamoDbPresenceSubscriptions(documentClient, config.PRESENCE_SUBSCRIPTIONS_TABLE);

const pingFrame = z.object({ action: z.literal('ping'), reqId: z.optional(reqIdSchema) });
const typingFrame = z.object({
  action: z.literal('typing'),
  reqId: z.optional(reqIdSchema),
  threadId: z.string().check(z.minLength(1, 'must be 1-128 characters'), z.maxLength(128, 'must be 1-128 characters')),
  state: z.enum(['start', 'stop']),
});
const subscribePresenceFrame = z.object({
  action: z.literal('subscribePresence'),
  reqId: z.optional(reqIdSchema),
  userIds: z.array(userIdSchema).check(
      z.minLength(1, `must name 1-${MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL} users`),
      z.maxLength(MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL, `must name 1-${MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL} users`),
    ),
});

/**
 * Liveness and presence: any frame keeps a connection counted as live (written at most once per
 * quarter idle period per connection and execution environment); `subscribePresence` answers the
 * users' current state and subscribes the connection to their changes (which
 * `presence-changes.ts` pushes); `typing` tells the other members.
 */
export const handler = instrumented(
  actionRouter(
    {
      // Like every frame, a ping refreshes the connection's expiry (onActivity, below).
      ping: action(pingFrame, async () => ({ type: 'pong' })),
      subscribePresence: action(subscribePresenceFrame, async (frame, caller) => {
        const users = await subscribeToPresence({
          subscriber: caller,
          userIds: frame.userIds,
          now: Date.now(),
          subscriptions: presenceSubscriptions,
          statuses: presenceStatuses,
        });
        return { type: 'presence', users };
      }),
      typing: action(typingFrame, async (frame, caller) => {
        await signalTyping({
          threadId: frame.threadId,
          userId: caller.userId,
          state: frame.state,
          now: Date.now(),
          fromConnectionId: caller.connectionId,
          gate: typingGate,
          threads,
          connections: registry,
          notifier,
        });
        return undefined;
      }),
    },
    { onActivity: (caller) => activity.noteActivity(caller) },
  ),
);
