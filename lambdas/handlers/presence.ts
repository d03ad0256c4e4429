import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStatuses, DynamoDbPresenceSubscriptions } from '../adapters/dynamodb-presence';
import { DynamoDbSharedThreads } from '../adapters/dynamodb-shared-threads';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { DynamoDbUserSettings } from '../adapters/dynamodb-user-settings';
import { DynamoDbTypingGate } from '../adapters/dynamodb-typing-gate';
import { DynamoDbUserPairs } from '../adapters/dynamodb-user-pairs';
import { ActivityTracker } from '../domain/connections';
import { SETTING_NAMES, getSettingsFrame, pingFrame, subscribePresenceFrame, typingFrame, updateSettingsFrame } from '../../protocol/client-frames';
import { updateSettings } from '../domain/active-status';
import { subscribeToPresence } from '../domain/presence';
import { signalTyping } from '../domain/typing';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { subscribePresenceUnits } from '../domain/budget';
import { actionBudgetEnvironment } from '../shared/action-budget';
import { frameBudgetsOf } from '../shared/frame-budgets';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  CONNECTIONS_TABLE: env.name(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
  ...chatTablesEnvironment,
  ...actionBudgetEnvironment,
  PRESENCE_TABLE: env.name(),
  PRESENCE_SUBSCRIPTIONS_TABLE: env.name(),
  USER_SETTINGS_TABLE: env.name(),
});
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const notifier = new ApiGatewayConnectionNotifier(managementApiClient);
const activity = new ActivityTracker({ registry, gateway: notifier, idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });
const chatTables = chatTablesOf(config);
const threads = new DynamoDbThreadStore(documentClient, chatTables);
/** Who blocked whom: typing and presence are hidden between them. */
const blocks = new DynamoDbUserPairs(documentClient, chatTables);
const typingGate = new DynamoDbTypingGate(documentClient, config.THREADS_TABLE);
const presence = {
  statuses: new DynamoDbPresenceStatuses(documentClient, config.PRESENCE_TABLE),
  subscriptions: new DynamoDbPresenceSubscriptions(documentClient, config.PRESENCE_SUBSCRIPTIONS_TABLE),
  sharedThreads: new DynamoDbSharedThreads(documentClient, chatTablesOf(config)),
  settings: new DynamoDbUserSettings(documentClient, config.USER_SETTINGS_TABLE),
  blocks,
  notifier,
};

/**
 * Liveness and presence: any frame keeps a connection counted as live (written at most once per
 * quarter idle period per connection and execution environment); `subscribePresence` answers the
 * users' current state (as far as the caller may see it) and subscribes the connection to their
 * changes (which `presence-changes.ts` pushes); `getSettings` and `updateSettings` read and change
 * the caller's settings (active status, presence audience, push previews, request notifications); `typing` tells the other members.
 */
export const handler = instrumented(
  actionRouter(
    {
      // Like every frame, a ping refreshes the connection's expiry (onActivity, below).
      ping: action(pingFrame, async () => ({ type: 'pong' })),
      subscribePresence: action(
        subscribePresenceFrame,
        async (frame, caller, purse) => {
          const users = await subscribeToPresence({ subscriber: caller, userIds: frame.userIds, now: Date.now(), purse, ...presence });
          return { type: 'presence', users };
        },
        (frame) => subscribePresenceUnits(frame.userIds),
      ),
      getSettings: action(getSettingsFrame, async (_frame, caller) => {
        const settings = (await presence.settings.settingsOf([caller.userId])).get(caller.userId)!;
        return { type: 'settings', ...settings };
      }),
      updateSettings: action(updateSettingsFrame, async (frame, caller, purse) => {
        const changes = Object.fromEntries(SETTING_NAMES.flatMap((name) => (frame[name] === undefined ? [] : [[name, frame[name]]])));
        const report = await updateSettings({ userId: caller.userId, changes, purse, ...presence });
        if (report.failedPosts.length > 0) {
          logger.warn('active status change not delivered to every connection', { count: report.failedPosts.length, firstError: report.failedPosts[0] as Error });
        }
        return { type: 'settings', ...report.settings };
      }),
      typing: action(typingFrame, async (frame, caller, purse) => {
        await signalTyping({
          threadId: frame.threadId,
          userId: caller.userId,
          state: frame.state,
          now: Date.now(),
          fromConnectionId: caller.connectionId,
          gate: typingGate,
          threads,
          blocks,
          connections: registry,
          notifier,
          purse,
        });
        return undefined;
      }),
    },
    { ...frameBudgetsOf(config), onActivity: (caller) => activity.noteActivity(caller) },
  ),
);
