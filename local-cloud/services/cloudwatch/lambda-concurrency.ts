import type { ConcurrencyObserver } from '../lambda/concurrency';
import type { MetricStore } from './metric-store';

/**
 * AWS/Lambda ConcurrentExecutions by FunctionName: how many of the function's environments are
 * running an invocation, put each time that number changes (an invocation starts or ends), so its
 * Maximum over a period is the period's peak. A period in which no invocation starts or ends gets
 * no datapoint, even while one runs through it.
 */
export function putConcurrency(store: MetricStore, change: Parameters<ConcurrencyObserver>[0]): void {
  store.put({ namespace: 'AWS/Lambda', metricName: 'ConcurrentExecutions', dimensions: { FunctionName: change.functionName } }, change.busy, change.at);
}
