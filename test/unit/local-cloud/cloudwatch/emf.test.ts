import { parseEmfLine } from '../../../../local-cloud/services/cloudwatch/emf';

/** A line as Powertools' Metrics writes it (namespace Messenger, default dimension service). */
const powertoolsLine = JSON.stringify({
  _aws: { Timestamp: 1_764_500_000_000, CloudWatchMetrics: [{ Namespace: 'Messenger', Dimensions: [['service']], Metrics: [{ Name: 'MessagesSent', Unit: 'Count' }, { Name: 'FanOut', Unit: 'Count' }] }] },
  service: 'messenger',
  MessagesSent: 1,
  FanOut: [3, 4],
  connectionId: 'abc',
});

describe('the embedded metric format, as CloudWatch Logs extracts it', () => {
  test('a Powertools line gives each metric`s values with the dimensions of its set, at _aws.Timestamp', () => {
    const result = parseEmfLine(powertoolsLine);
    expect(result).toEqual({
      kind: 'metrics',
      datapoints: [
        { metric: { namespace: 'Messenger', metricName: 'MessagesSent', dimensions: { service: 'messenger' } }, value: 1, timestamp: 1_764_500_000_000 },
        { metric: { namespace: 'Messenger', metricName: 'FanOut', dimensions: { service: 'messenger' } }, value: 3, timestamp: 1_764_500_000_000 },
        { metric: { namespace: 'Messenger', metricName: 'FanOut', dimensions: { service: 'messenger' } }, value: 4, timestamp: 1_764_500_000_000 },
      ],
    });
  });

  test('every dimension set makes a metric of its own; no set means no dimensions', () => {
    const line = JSON.stringify({
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['a'], ['a', 'b']], Metrics: [{ Name: 'M' }] }, { Namespace: 'N', Dimensions: [], Metrics: [{ Name: 'M' }] }] },
      a: 'x',
      b: 'y',
      M: 2,
    });
    const result = parseEmfLine(line);
    expect(result.kind === 'metrics' && result.datapoints.map((point) => point.metric.dimensions)).toEqual([{ a: 'x' }, { a: 'x', b: 'y' }, {}]);
  });

  test.each([
    ['a plain log line', '2026-11-30T11:00:00Z\tINFO\tsent'],
    ['structured log JSON without _aws', JSON.stringify({ level: 'INFO', message: 'sent' })],
    ['a line with text around the JSON', `prefix ${powertoolsLine}`],
  ])('%s is not EMF', (_case, line) => {
    expect(parseEmfLine(line)).toEqual({ kind: 'not-emf' });
  });

  test.each([
    ['a missing Timestamp', { _aws: { CloudWatchMetrics: [] } }, /Timestamp/],
    ['a dimension that is not a string member', { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['service']], Metrics: [{ Name: 'M' }] }] }, M: 1 }, /service/],
    ['a metric value that is not a number', { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [[]], Metrics: [{ Name: 'M' }] }] }, M: '1' }, /M must be a number/],
    ['more than 100 values', { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [[]], Metrics: [{ Name: 'M' }] }] }, M: Array(101).fill(1) }, /at most 100/],
  ])('%s makes the whole line invalid, with no metric', (_case, document, reason) => {
    const result = parseEmfLine(JSON.stringify(document));
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.reason).toMatch(reason);
  });
});
