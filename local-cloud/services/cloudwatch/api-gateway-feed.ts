import type { GatewayTrafficEvent } from '../apigateway/traffic';
import type { MetricStore } from './metric-store';

/**
 * A WebSocket API stage's metrics (namespace AWS/ApiGateway, dimensions ApiId and Stage) from its
 * traffic: ConnectCount per `$connect` integration call, MessageCount per message from or to a
 * client (`@connections` posts included), ClientError per request refused with a 4XX before any
 * integration ran, and per integration call IntegrationLatency (ms) with IntegrationError and
 * ExecutionError as 1 or 0.
 */
export function putGatewayTraffic(store: MetricStore, stage: { apiId: string; stage: string }, event: GatewayTrafficEvent): void {
  const dimensions = { ApiId: stage.apiId, Stage: stage.stage };
  const put = (metricName: string, value: number) => store.put({ namespace: 'AWS/ApiGateway', metricName, dimensions }, value, event.at);
  switch (event.kind) {
    case 'connect':
      return put('ConnectCount', 1);
    case 'message':
      return put('MessageCount', 1);
    case 'client-error':
      return put('ClientError', 1);
    case 'integration':
      put('IntegrationLatency', event.latencyMs);
      put('IntegrationError', event.outcome === 'integration-error' ? 1 : 0);
      put('ExecutionError', event.outcome === 'execution-error' ? 1 : 0);
  }
}
