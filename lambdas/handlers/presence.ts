import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStatuses, DynamoDbPresenceSubscriptions } from '../adapters/dynamodb-presence';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { DynamoDbTypingGate } from '../adapters/dynamodb-typing-gate';
import { ActivityTracker } from '../domain/connections';
import { pingFrame, subscribePresenceFrame, typingFrame } from '../../protocol/client-frames';
import { subscribeToPresence } from '../domain/presence';
import { signalTyping } from '../domain/typing';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { ACTION_UNITS } from '../domain/budget';
import { actionBudgetEnvironment, budgetStoreOf } from '../shared/action-budget';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  CONNECTIONS_TABLE: env.name(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
  ...chatTablesEnvironment,
  ...actionBudgetEnvironment,
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
      subscribePresence: action(
        subscribePresenceFrame,
        async (frame, caller) => {
          const users = await subscribeToPresence({
            subscriber: caller,
            userIds: frame.userIds,
            now: Date.now(),
            subscriptions: presenceSubscriptions,
            statuses: presenceStatuses,
          });
          return { type: 'presence', users };
        },
        (frame) => ACTION_UNITS.subscribePresence + ACTION_UNITS.subscribePresencePerUser * new Set(frame.userIds).size,
      ),
      typing: action(typingFrame, async (frame, caller, purse) => {
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
          purse,
        });
        return undefined;
      }),
    },
    { budget: budgetStoreOf(config), onActivity: (caller) => activity.noteActivity(caller) },
  ),
);
