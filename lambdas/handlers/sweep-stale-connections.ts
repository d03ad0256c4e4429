import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { sweepStaleConnections, type SweepResult } from '../domain/connections';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({ CONNECTIONS_TABLE: env.name() });
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const gateway = new ApiGatewayConnectionNotifier(managementApiClient);

/**
 * Run every minute by an EventBridge schedule (its event carries nothing used here): removes the
 * connections that went stale without `$disconnect`, and closes those whose token expired
 * unrenewed. Each removal reaches the presence function through the registry's stream, which
 * tells the user's subscribers.
 */
export const handler = instrumented(async (): Promise<SweepResult> => {
  const result = await sweepStaleConnections({ now: Date.now(), registry, gateway });
  metrics.addMetric('StaleConnectionsRemoved', MetricUnit.Count, result.removed);
  metrics.addMetric('ExpiredTokenConnectionsClosed', MetricUnit.Count, result.closedForExpiredToken);
  if (result.removed > 0) logger.info('stale connections removed', { ...result });
  return result;
});
