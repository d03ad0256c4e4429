import type { CqlRequestOutcome } from '../iam/cql-requests';
import type { MetricStore } from './metric-store';

/** Keyspaces' capacity units: a write of up to 1 KB, a LOCAL_QUORUM read of up to 4 KB. */
const WRITE_UNIT_BYTES = 1024;
const READ_UNIT_BYTES = 4096;

/**
 * A Keyspaces table's metrics (namespace AWS/Cassandra) from each request a function ran through
 * the Keyspaces proxy, per table statement: by Keyspace, TableName and Operation,
 * SuccessfulRequestLatency (ms) and SuccessfulRequestCount for an answered request; by Keyspace
 * and TableName, SystemErrors or UserErrors for a failed one, and for an answered one
 * ConsumedWriteCapacityUnits (per write, its request's bytes in 1 KB units, at least 1) or
 * ConsumedReadCapacityUnits (per read, its answer's bytes in 4 KB units, at least 1). Cassandra
 * has no capacity, so the bytes on the wire stand in for the rows' sizes, and nothing is throttled.
 */
export function putKeyspacesRequest(store: MetricStore, outcome: CqlRequestOutcome): void {
  for (const statement of outcome.statements) {
    const table = { Keyspace: statement.keyspace, TableName: statement.table };
    const put = (metricName: string, value: number, dimensions: Record<string, string> = table) => store.put({ namespace: 'AWS/Cassandra', metricName, dimensions }, value, outcome.at);
    if (outcome.answer === 'system-error') {
      put('SystemErrors', 1);
      continue;
    }
    if (outcome.answer === 'user-error') {
      put('UserErrors', 1);
      continue;
    }
    const byOperation = { ...table, Operation: statement.operation };
    put('SuccessfulRequestLatency', outcome.latencyMs, byOperation);
    put('SuccessfulRequestCount', 1, byOperation);
    if (statement.action === 'cassandra:Select') put('ConsumedReadCapacityUnits', Math.max(1, Math.ceil(outcome.responseBytes / READ_UNIT_BYTES)));
    else put('ConsumedWriteCapacityUnits', Math.max(1, Math.ceil(outcome.requestBytes / outcome.statements.length / WRITE_UNIT_BYTES)));
  }
}
