import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { openConnection, TooManyConnectionsError } from '../domain/connections';
import { deviceIdSchema } from '../../protocol/fields';
import { documentClient } from '../shared/clients/dynamodb';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';
import { callerOf, type WebSocketEvent } from '../shared/websocket';

const config = loadConfig({ CONNECTIONS_TABLE: env.name(), IDLE_TIMEOUT_SECONDS: env.positiveInt() });
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);

type ConnectEvent = WebSocketEvent & { queryStringParameters?: Record<string, string | undefined> };

/** Registers the connection the authorizer let through; a non-2xx status refuses the handshake. */
export const handler = instrumented(async (event: ConnectEvent): Promise<APIGatewayProxyResult> => {
  const caller = callerOf(event);
  const requestedDevice = event.queryStringParameters?.deviceId;
  if (requestedDevice !== undefined && !deviceIdSchema.safeParse(requestedDevice).success) {
    logger.info('handshake refused', { reason: 'invalid deviceId' });
    return { statusCode: 400, body: 'deviceId must be 1-64 characters of A-Z, a-z, 0-9, _ or -' };
  }
  try {
    await openConnection({ ...caller, now: event.requestContext.requestTimeEpoch, idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS, registry });
  } catch (error) {
    if (!(error instanceof TooManyConnectionsError)) throw error;
    logger.info('handshake refused', { reason: 'too many connections' });
    metrics.addMetric('ConnectionsRefused', MetricUnit.Count, 1);
    return { statusCode: 429, body: error.message };
  }
  metrics.addMetric('ConnectionsOpened', MetricUnit.Count, 1);
  return { statusCode: 200, body: '' };
});
