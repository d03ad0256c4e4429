import type { LambdaService } from '../lambda/lambda-service';
import type { InvocationRecord } from '../lambda/metering';
import { parseEmfLine } from './emf';
import type { MetricStore } from './metric-store';

/**
 * Lambda's own metrics (namespace AWS/Lambda, by FunctionName), from each invocation the meter
 * records: Invocations 1, Errors 1 or 0, Duration in ms, at the invocation's start. Lambda here
 * queues rather than throttles, so Throttles never gets a datapoint.
 */
export function putInvocationMetrics(store: MetricStore, record: InvocationRecord): void {
  const dimensions = { FunctionName: record.functionName };
  const put = (metricName: string, value: number) => store.put({ namespace: 'AWS/Lambda', metricName, dimensions }, value, record.start);
  put('Invocations', 1);
  put('Errors', record.failed ? 1 : 0);
  put('Duration', record.durationMs);
}

/** What the functions' logs put into CloudWatch through the embedded metric format, and the lines it refused. */
export interface EmfCounts {
  metricLines: number;
  invalidLines: number;
  lastInvalid?: { functionName: string; reason: string };
}

/**
 * Feeds the metric store from the functions: the meter's invocations, and every EMF line of their
 * output (a line CloudWatch would reject is counted and logged, as CloudWatch counts it under
 * AWS/Logs EMFValidationErrors).
 */
export function feedFromFunctions(lambda: LambdaService, store: MetricStore, log: (message: string) => void): EmfCounts {
  const counts: EmfCounts = { metricLines: 0, invalidLines: 0 };
  lambda.onInvocation((record) => putInvocationMetrics(store, record));
  lambda.onLogLine((functionName, line) => {
    const result = parseEmfLine(line);
    if (result.kind === 'not-emf') return;
    if (result.kind === 'invalid') {
      counts.invalidLines += 1;
      counts.lastInvalid = { functionName, reason: result.reason };
      log(`${functionName} wrote an EMF line CloudWatch would reject: ${result.reason}`);
      return;
    }
    counts.metricLines += 1;
    for (const datapoint of result.datapoints) store.put(datapoint.metric, datapoint.value, datapoint.timestamp);
  });
  return counts;
}
