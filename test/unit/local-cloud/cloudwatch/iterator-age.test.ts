import { putIteratorAge } from '../../../../local-cloud/services/cloudwatch/iterator-age';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';

const T0 = 1_700_000_000_000;

describe('IteratorAge from the stream poller`s batches', () => {
  it('puts, per batch, the milliseconds from its last record reaching the stream to the hand-over, by function name', () => {
    const store = new MetricStore(() => T0 + 10_000);
    putIteratorAge(store, { kind: 'stream-batch', functionName: 'Messenger-Relay', at: T0 + 2500, lastRecordCreatedAt: T0 });
    putIteratorAge(store, { kind: 'stream-batch', functionName: 'Messenger-Relay', at: T0 + 9000, lastRecordCreatedAt: T0 + 1000 });
    putIteratorAge(store, { kind: 'sqs-deleted', queueUrl: 'http://127.0.0.1:1/000000000000/q', at: T0, messageIds: ['a'] });
    const identity = { namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensions: { FunctionName: 'Messenger-Relay' } };
    expect(store.periods(identity, 'Maximum', 10_000, T0 + 10_000, 1)[0].value).toBe(8000);
    expect(store.summaries()).toEqual([expect.objectContaining({ ...identity, datapoints: 2, sum: 10_500 })]);
  });
});
