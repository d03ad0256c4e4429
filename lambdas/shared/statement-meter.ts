import { RequestTracker } from './cassandra-driver';

/** What the local Lambda runtime's meter takes: one call, as its SDK middleware records them. */
type MeterHook = (call: { service: string; operation: string; start: number; end: number; error?: string }) => void;

function report(query: string | readonly unknown[], latency: number[], error?: Error): void {
  const hook = (globalThis as { __localCloudMeterCall?: MeterHook }).__localCloudMeterCall;
  if (hook === undefined) return;
  const end = Date.now();
  const [seconds, nanoseconds] = latency;
  hook({ service: 'Keyspaces', operation: Array.isArray(query) ? 'Batch' : 'Execute', start: end - Math.round(seconds * 1000 + nanoseconds / 1e6), end, ...(error ? { error: error.name } : {}) });
}

/**
 * Tells the local cloud's meter of each Keyspaces request, as the runtime's middleware does of
 * every AWS SDK call (the benchmark counts their round trips; docs/benchmark.md): the driver is
 * bundled into the function, out of the runtime's reach. The local Lambda runtime installs the
 * hook; on AWS nothing does, and a request costs one property read.
 */
export class StatementMeter extends RequestTracker {
  onSuccess(...[, query, , , , , latency]: Parameters<InstanceType<typeof RequestTracker>['onSuccess']>): void {
    report(query, latency);
  }

  onError(...[, query, , , , error, latency]: Parameters<InstanceType<typeof RequestTracker>['onError']>): void {
    report(query, latency, error);
  }
}
