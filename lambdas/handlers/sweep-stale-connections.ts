import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { sweepStaleConnections } from '../domain/connections';
import { documentClient } from '../shared/clients/dynamodb';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({ CONNECTIONS_TABLE: env.name() });
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);

/**
 * Run every minute by an EventBridge schedule (its event carries nothing used here): removes the
 * connections that went stale without `$disconnect`. Each removal reaches the presence function
 * through the registry's stream, which tells the user's subscribers.
 */
export const handler = instrumented(async (): Promise<{ removed: number }> => {
  const removed = await sweepStaleConnections({ now: Date.now(), registry });
  metrics.addMetric('StaleConnectionsRemoved', MetricUnit.Count, removed);
  if (removed > 0) logger.info('stale connections removed', { removed });
  return { removed };
});
