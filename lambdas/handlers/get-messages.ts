import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { KeyspacesMessageHistory } from '../adapters/keyspaces-message-history';
import { getMessagesFrame } from '../../protocol/client-frames';
import { getMessages } from '../domain/chat/get-messages';
import { ActivityTracker } from '../domain/connections';
import { documentClient } from '../shared/clients/dynamodb';
import { cassandraClient } from '../shared/clients/keyspaces';
import { managementApiClient } from '../shared/clients/management-api';
import { ACTION_UNITS } from '../domain/budget';
import { actionBudgetEnvironment } from '../shared/action-budget';
import { frameBudgetsOf } from '../shared/frame-budgets';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  ...chatTablesEnvironment,
  ...actionBudgetEnvironment,
  CONNECTIONS_TABLE: env.name(),
  HISTORY_KEYSPACE: env.name(),
  MESSAGES_TABLE: env.name(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
});

const threads = new DynamoDbThreadStore(documentClient, chatTablesOf(config));
const history = new KeyspacesMessageHistory(cassandraClient, config.HISTORY_KEYSPACE, config.MESSAGES_TABLE);
const activity = new ActivityTracker({
  registry: new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE),
  gateway: new ApiGatewayConnectionNotifier(managementApiClient),
  idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS,
});

/**
 * History reads: a page of a thread's messages from Keyspaces, with what history does not have yet
 * taken from the messages staged in DynamoDB. The only Keyspaces reader; the chat function, which
 * sends, needs no Cassandra driver.
 */
export const handler = instrumented(
  actionRouter(
    {
      getMessages: action(
        getMessagesFrame,
        async (frame, caller, purse) => {
          const page = await getMessages({ ...frame, userId: caller.userId, threads, history, purse });
          return {
            type: 'messages',
            threadId: frame.threadId,
            messages: page.messages.map(({ threadId: _thread, ...message }) => message),
            hasMore: page.hasMore,
          };
        },
        ACTION_UNITS.getMessages,
      ),
    },
    { ...frameBudgetsOf(config), onActivity: (caller) => activity.noteActivity(caller) },
  ),
);
