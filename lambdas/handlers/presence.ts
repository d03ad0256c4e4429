import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { keepAlive } from '../domain/connections';
import { reqIdSchema } from '../domain/protocol';
import * as z from '../domain/schema';
import { documentClient } from '../shared/clients/dynamodb';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({ CONNECTIONS_TABLE: env.name(), IDLE_TIMEOUT_SECONDS: env.positiveInt() });
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const policy = { idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS };

const pingFrame = z.object({ action: z.literal('ping'), reqId: z.optional(reqIdSchema) });

/** Liveness and presence: `ping` keeps a connection counted as live. */
export const handler = instrumented(
  actionRouter({
    ping: action(pingFrame, async (_frame, caller) => {
      await keepAlive(registry, policy, { ...caller, now: Date.now() });
      return { type: 'pong' };
    }),
  }),
);
