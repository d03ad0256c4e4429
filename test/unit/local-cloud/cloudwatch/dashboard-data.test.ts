import { expandMetrics } from '../../../../local-cloud/services/cloudwatch/dashboard/body';
import { widgetData } from '../../../../local-cloud/services/cloudwatch/dashboard/widget-data';
import { MetricStore, type MetricIdentity } from '../../../../local-cloud/services/cloudwatch/metric-store';

const MINUTE = 60_000;
/** A period boundary, so that the periods below are easy to read. */
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const invocations = { namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName: 'send' } };
const errors = { ...invocations, metricName: 'Errors' };

function storeWith(points: Array<[MetricIdentity, number, number]>): MetricStore {
  const store = new MetricStore(() => T0 + 3 * MINUTE);
  for (const [metric, value, at] of points) store.put(metric, value, at);
  return store;
}

describe('a metric widget`s data', () => {
  const store = storeWith([
    [invocations, 1, T0 + 1000],
    [invocations, 1, T0 + 2000],
    [errors, 1, T0 + 3000],
    [invocations, 1, T0 + 2 * MINUTE + 5000],
  ]);

  test('is each metric`s statistic per period, the newest period being the one under way', () => {
    const queries = expandMetrics([['AWS/Lambda', 'Invocations', 'FunctionName', 'send', { stat: 'Sum' }]], { statistic: 'Average', periodSeconds: 300 });
    const data = widgetData(store, queries, { end: T0 + 2 * MINUTE + 30_000, seconds: 180, periodSeconds: 60 });
    expect(data.periodSeconds).toBe(60);
    expect(data.timestamps).toEqual([T0 / 1000, T0 / 1000 + 60, T0 / 1000 + 120]);
    expect(data.series).toEqual([{ id: 'm1', label: 'Invocations', yAxis: 'left', color: undefined, values: [2, null, 1] }]);
  });

  test('evaluates expressions over the metric rows, also hidden ones, and expressions over expressions', () => {
    const queries = expandMetrics(
      [
        [{ expression: 'FILL(requests,0) / PERIOD(requests)', label: 'TPS' }],
        [{ expression: '100 * FILL(failed, 0) / requests', label: 'Error rate', id: 'rate' }],
        [{ expression: 'rate / 100', label: 'Error ratio' }],
        ['AWS/Lambda', 'Invocations', 'FunctionName', 'send', { id: 'requests', visible: false, stat: 'Sum' }],
        ['.', 'Errors', '.', '.', { id: 'failed', visible: false, stat: 'Sum' }],
      ],
      { statistic: 'Average', periodSeconds: 60 },
    );
    const data = widgetData(store, queries, { end: T0 + 2 * MINUTE, seconds: 180 });
    expect(data.series.map((series) => [series.label, series.values])).toEqual([
      ['TPS', [2 / 60, 0, 1 / 60]],
      ['Error rate', [50, null, 0]],
      ['Error ratio', [0.5, null, 0]],
    ]);
  });

  test('draws a SEARCH as one series per metric of its schema that its terms find, labelled by the dimensions they leave open', () => {
    const latency = (table: string, dimensions: Record<string, string>) => ({ namespace: 'AWS/DynamoDB', metricName: 'SuccessfulRequestLatency', dimensions: { TableName: table, ...dimensions } });
    const searchStore = storeWith([
      [latency('threads', { Operation: 'GetItem' }), 4, T0 + 1000],
      [latency('threads', { Operation: 'GetItem' }), 8, T0 + 2000],
      [latency('threads', { Operation: 'PutItem' }), 10, T0 + MINUTE],
      // Another table, and the same table with fewer or more dimensions (another schema): not found.
      [latency('connections', { Operation: 'GetItem' }), 99, T0 + 1000],
      [latency('threads', {}), 99, T0 + 1000],
      [latency('threads', { Operation: 'GetItem', StreamLabel: 'x' }), 99, T0 + 1000],
    ]);
    const queries = expandMetrics(
      [[{ expression: `SEARCH('{"AWS/DynamoDB","TableName","Operation"} "TableName"="threads" MetricName="SuccessfulRequestLatency"', 'Average', 300)`, label: ' ' }]],
      { statistic: 'Average', periodSeconds: 60 },
    );
    const data = widgetData(searchStore, queries, { end: T0 + MINUTE, seconds: 120 });
    expect(data.series.map((series) => [series.id, series.label, series.values])).toEqual([
      ['e1_1', 'GetItem', [6, null]],
      ['e1_2', 'PutItem', [null, 10]],
    ]);
    // Finding nothing, it draws nothing, as CloudWatch returns no series.
    expect(widgetData(new MetricStore(), queries, { end: T0 + MINUTE, seconds: 120 }).series).toEqual([]);
  });

  test('says which series it cannot draw, and why, instead of drawing them wrong', () => {
    const queries = expandMetrics(
      [
        [{ expression: `SEARCH('{AWS/Lambda,FunctionName} Errors OR Throttles', 'Sum', 60)`, label: 'partial words' }],
        [{ expression: `SEARCH('{AWS/Lambda,FunctionName} MetricName="Errors"', 'Sum', 60)`, label: 'errors', id: 'found' }],
        [{ expression: 'found * 2', label: 'double' }],
        [{ expression: 'nothing + 1' }],
        [{ expression: 'RATE(found)', label: 'rate', id: 'rate' }],
        [{ expression: 'rate * 2', label: 'double rate' }],
      ],
      { statistic: 'Average', periodSeconds: 60 },
    );
    const data = widgetData(store, queries, { end: T0 + 2 * MINUTE, seconds: 120 });
    expect(data.series.filter((series) => series.error !== undefined).map((series) => [series.label, series.values, series.error])).toEqual([
      ['partial words', [null, null], expect.stringMatching(/the search term "Errors OR Throttles" is not evaluated locally/)],
      ['double', [null, null], expect.stringMatching(/reads a SEARCH/)],
      ['nothing + 1', [null, null], expect.stringMatching(/reads nothing, which the widget does not define/)],
      ['rate', [null, null], expect.stringMatching(/the function RATE is not evaluated locally/)],
      ['double rate', [null, null], expect.stringMatching(/reads a series the local cloud cannot draw/)],
    ]);
  });

  test('fills the console`s dynamic labels from the range shown', () => {
    const queries = expandMetrics([['AWS/Lambda', 'Invocations', 'FunctionName', 'send', { stat: 'Sum', label: 'calls (max ${MAX}, sum ${SUM}, avg ${AVG})' }]], { statistic: 'Average', periodSeconds: 60 });
    expect(widgetData(store, queries, { end: T0 + 2 * MINUTE, seconds: 180 }).series[0].label).toBe('calls (max 2, sum 3, avg 1.5)');
    expect(widgetData(store, queries, { end: T0 + 60 * MINUTE, seconds: 60 }).series[0].label).toBe('calls (max –, sum –, avg –)');
  });
});
