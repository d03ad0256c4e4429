import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import { computeStatistic, parseStatistic } from '../../../../local-cloud/services/cloudwatch/statistics';

describe('CloudWatch statistics over a period`s values', () => {
  const values = [4, 1, 3, 2, 10];

  test.each([
    ['Sum', 20],
    ['Average', 4],
    ['Minimum', 1],
    ['Maximum', 10],
    ['SampleCount', 5],
    ['p50', 3],
    ['p99', 10],
    ['p20', 1],
  ])('%s', (statistic, expected) => {
    expect(computeStatistic(parseStatistic(statistic), values)).toBe(expected);
  });

  test('a period without values has no datapoint, not zero', () => {
    expect(computeStatistic('Sum', [])).toBeUndefined();
  });

  test('a statistic it does not compute is refused by name', () => {
    expect(() => parseStatistic('tm99')).toThrow(/tm99/);
  });
});

describe('the metric store', () => {
  const metric = { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'send' } };

  test('puts each datapoint in its aligned period, and a metric is one exact set of dimensions in any order', () => {
    const store = new MetricStore(() => 10_000);
    store.put(metric, 1, 1_000);
    store.put(metric, 2, 1_999);
    store.put(metric, 5, 2_000);
    store.put({ ...metric, dimensions: { FunctionName: 'other' } }, 100, 1_500);
    const periods = store.periods({ ...metric, dimensions: { FunctionName: 'send' } }, 'Sum', 1_000, 3_000, 3);
    expect(periods).toEqual([
      { start: 0, value: undefined },
      { start: 1_000, value: 3 },
      { start: 2_000, value: 5 },
    ]);
  });

  test('refuses a value CloudWatch would not take', () => {
    expect(() => new MetricStore().put(metric, Number.NaN)).toThrow(/not a number/);
  });
});
