import { putKeyspacesRequest } from '../../../../local-cloud/services/cloudwatch/keyspaces-feed';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import type { CqlRequestOutcome, TableStatement } from '../../../../local-cloud/services/iam/cql-requests';

const insert: TableStatement = { kind: 'access', action: 'cassandra:Modify', operation: 'INSERT', keyspace: 'messenger', table: 'messages' };
const select: TableStatement = { kind: 'access', action: 'cassandra:Select', operation: 'SELECT', keyspace: 'messenger', table: 'messages' };
const outcome = (statements: TableStatement[], answer: CqlRequestOutcome['answer'], bytes: Partial<CqlRequestOutcome> = {}): CqlRequestOutcome => ({
  statements,
  answer,
  latencyMs: 7,
  requestBytes: 100,
  responseBytes: 40,
  at: Date.now(),
  ...bytes,
});

describe('AWS/Cassandra metrics of a Keyspaces table, from the requests the Keyspaces proxy answered', () => {
  it('gives the latency and count per operation, capacity by bytes, and errors, under the dimensions Keyspaces publishes', () => {
    const store = new MetricStore();
    putKeyspacesRequest(store, outcome([insert, insert], 'ok', { requestBytes: 3000 }));
    putKeyspacesRequest(store, outcome([select], 'ok', { responseBytes: 9000, latencyMs: 3 }));
    putKeyspacesRequest(store, outcome([insert], 'user-error'));
    putKeyspacesRequest(store, outcome([select], 'system-error'));

    const table = { Keyspace: 'messenger', TableName: 'messages' };
    const metrics = store.summaries('AWS/Cassandra').map(({ metricName, dimensions, sum, datapoints }) => ({ metricName, dimensions, sum, datapoints }));
    expect(metrics).toEqual(
      expect.arrayContaining([
        { metricName: 'SuccessfulRequestLatency', dimensions: { ...table, Operation: 'INSERT' }, sum: 14, datapoints: 2 },
        { metricName: 'SuccessfulRequestCount', dimensions: { ...table, Operation: 'INSERT' }, sum: 2, datapoints: 2 },
        { metricName: 'SuccessfulRequestLatency', dimensions: { ...table, Operation: 'SELECT' }, sum: 3, datapoints: 1 },
        { metricName: 'SuccessfulRequestCount', dimensions: { ...table, Operation: 'SELECT' }, sum: 1, datapoints: 1 },
        // 1500 bytes per statement of the batch: 2 units each.
        { metricName: 'ConsumedWriteCapacityUnits', dimensions: table, sum: 4, datapoints: 2 },
        { metricName: 'ConsumedReadCapacityUnits', dimensions: table, sum: 3, datapoints: 1 },
        { metricName: 'UserErrors', dimensions: table, sum: 1, datapoints: 1 },
        { metricName: 'SystemErrors', dimensions: table, sum: 1, datapoints: 1 },
      ]),
    );
    expect(metrics).toHaveLength(8);
  });
});
