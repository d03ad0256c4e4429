import type { PollerEvent } from '../lambda/poller-events';
import type { MetricStore } from './metric-store';

/**
 * Lambda's IteratorAge (namespace AWS/Lambda, by FunctionName, milliseconds) for stream event
 * source mappings: for each batch the poller hands the function (retries too), the time from the
 * batch's last record reaching the stream (its ApproximateCreationDateTime, whole seconds) to now.
 */
export function putIteratorAge(store: MetricStore, event: PollerEvent): void {
  if (event.kind !== 'stream-batch') return;
  store.put({ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensions: { FunctionName: event.functionName } }, Math.max(0, event.at - event.lastRecordCreatedAt), event.at);
}
