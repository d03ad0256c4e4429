import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { closeConnection } from '../domain/connections';
import { documentClient } from '../shared/clients/dynamodb';
import { env, loadConfig } from '../shared/config';
import { instrumented, metrics } from '../shared/observability';
import { callerOf, type WebSocketEvent } from '../shared/websocket';

const config = loadConfig({ CONNECTIONS_TABLE: env.name() });
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);

/** Forgets a closed connection. API Gateway sends `$disconnect` on a best-effort basis only. */
export const handler = instrumented(async (event: WebSocketEvent): Promise<APIGatewayProxyResult> => {
  const caller = callerOf(event);
  await closeConnection({ userId: caller.userId, connectionId: caller.connectionId, registry });
  metrics.addMetric('ConnectionsClosed', MetricUnit.Count, 1);
  return { statusCode: 200, body: '' };
});
