import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { ACTION_UNITS, purseOf, RateLimitedError } from '../domain/budget';
import { openConnection, TooManyConnectionsError } from '../domain/connections';
import { deviceIdSchema } from '../../protocol/fields';
import { MESSENGER_SUBPROTOCOL, offeredSubprotocols, subprotocolHeader, tokenFromSubprotocols } from '../../protocol/handshake';
import { documentClient } from '../shared/clients/dynamodb';
import { actionBudgetEnvironment, budgetStoreOf } from '../shared/action-budget';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';
import { callerOf, type WebSocketEvent } from '../shared/websocket';

const config = loadConfig({ ...actionBudgetEnvironment, CONNECTIONS_TABLE: env.name(), IDLE_TIMEOUT_SECONDS: env.positiveInt() });
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const budget = budgetStoreOf(config);

type ConnectEvent = WebSocketEvent & {
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

function refuse(statusCode: number, reason: string): APIGatewayProxyResult {
  logger.info('handshake refused', { reason });
  return { statusCode, body: reason };
}

/**
 * Registers the connection the authorizer let through, with its token's expiry; a non-2xx status
 * refuses the handshake. A client that offered subprotocols gets `messenger.v1` back in
 * `Sec-WebSocket-Protocol` (API Gateway answers the handshake with this response's headers): a
 * browser fails the handshake when none of its offers is echoed. The token's own subprotocol is
 * never echoed.
 */
export const handler = instrumented(async (event: ConnectEvent): Promise<APIGatewayProxyResult> => {
  const caller = callerOf(event);
  const requestedDevice = event.queryStringParameters?.deviceId;
  if (requestedDevice !== undefined && !deviceIdSchema.safeParse(requestedDevice).success) {
    return refuse(400, 'deviceId must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
  }
  if (caller.tokenExpiresAt === undefined) throw new Error('authorizer context carries no tokenExpiresAt');
  const offered = subprotocolHeader(event.headers);
  const offersMessenger = offeredSubprotocols(offered).includes(MESSENGER_SUBPROTOCOL);
  if (!offersMessenger && tokenFromSubprotocols(offered) !== undefined) {
    return refuse(400, `offer the ${MESSENGER_SUBPROTOCOL} subprotocol beside the token`);
  }
  try {
    // A handshake is paid for like a frame: reconnecting in a loop is a flood too.
    await purseOf({ userId: caller.userId, store: budget, clock: Date.now }).spend(ACTION_UNITS.connect);
    await openConnection({ ...caller, now: event.requestContext.requestTimeEpoch, idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS, registry });
  } catch (error) {
    if (!(error instanceof TooManyConnectionsError || error instanceof RateLimitedError)) throw error;
    logger.info('handshake refused', { reason: error.message });
    metrics.addMetric('ConnectionsRefused', MetricUnit.Count, 1);
    return { statusCode: 429, body: error.message };
  }
  metrics.addMetric('ConnectionsOpened', MetricUnit.Count, 1);
  return { statusCode: 200, body: '', ...(offersMessenger ? { headers: { 'Sec-WebSocket-Protocol': MESSENGER_SUBPROTOCOL } } : {}) };
});
