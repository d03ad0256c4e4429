import { Template } from 'aws-cdk-lib/assertions';
import { MessengerStack } from '../../../../lib/messenger-stack';
import { expandMetrics, InvalidDashboardBody, parseDashboardBody } from '../../../../local-cloud/services/cloudwatch/dashboard/body';
import { IntrinsicResolver } from '../../../../local-cloud/assembly/intrinsics';
import { testApp } from '../../../stack/template';

const DEFAULTS = { statistic: 'Average', periodSeconds: 300 };

describe('a dashboard body`s metrics array', () => {
  test('"..." stands for the previous metric row`s values the row leaves out, "." for the one at its place', () => {
    const queries = expandMetrics(
      [
        ['AWS/EC2', 'CPUUtilization', 'InstanceId', 'i-1', { stat: 'Maximum' }],
        ['...', 'i-2'],
        ['...', { stat: 'p99', label: 'tail' }],
        ['.', 'NetworkIn', '.', '.'],
      ],
      DEFAULTS,
    );
    expect(queries.map((query) => (query.kind === 'metric' ? [query.namespace, query.metricName, query.dimensions, query.statistic, query.label] : query.kind))).toEqual([
      ['AWS/EC2', 'CPUUtilization', { InstanceId: 'i-1' }, 'Maximum', 'CPUUtilization'],
      ['AWS/EC2', 'CPUUtilization', { InstanceId: 'i-2' }, 'Average', 'CPUUtilization'],
      ['AWS/EC2', 'CPUUtilization', { InstanceId: 'i-2' }, 'p99', 'tail'],
      ['AWS/EC2', 'NetworkIn', { InstanceId: 'i-2' }, 'Average', 'NetworkIn'],
    ]);
  });

  test('an expression row reads the ids of the metric rows; ids, labels, axes and visibility come from the options or the defaults', () => {
    const queries = expandMetrics(
      [
        [{ expression: 'FILL(requests,0) / PERIOD(requests)', label: 'TPS' }],
        ['AWS/Lambda', 'Invocations', 'FunctionName', 'send', { id: 'requests', visible: false, stat: 'Sum', period: 60 }],
        ['AWS/Lambda', 'Duration', 'FunctionName', 'send', { yAxis: 'right' }],
        [{ expression: 'm3 * 2' }],
      ],
      DEFAULTS,
    );
    expect(queries).toEqual([
      { kind: 'expression', id: 'e1', expression: 'FILL(requests,0) / PERIOD(requests)', label: 'TPS', visible: true, yAxis: 'left', color: undefined, periodSeconds: 300 },
      expect.objectContaining({ kind: 'metric', id: 'requests', statistic: 'Sum', visible: false, periodSeconds: 60 }),
      expect.objectContaining({ kind: 'metric', id: 'm3', metricName: 'Duration', statistic: 'Average', yAxis: 'right', visible: true }),
      expect.objectContaining({ kind: 'expression', id: 'e4', label: 'm3 * 2' }),
    ]);
  });

  test.each([
    ['"." with no row before it', [['.', 'Errors']], /no[ne]* previous|there is none/],
    ['a dimension without its value', [['AWS/Lambda', 'Errors', 'FunctionName']], /expected \[namespace, metricName/],
    ['a statistic the local cloud does not compute', [['AWS/Lambda', 'Errors', { stat: 'TM(10%:90%)' }]], /statistic TM/],
    ['options before the end of the row', [['AWS/Lambda', { stat: 'Sum' }, 'Errors']], /last item/],
  ])('refuses %s, naming the row', (_case, rows, message) => {
    expect(() => expandMetrics(rows as Parameters<typeof expandMetrics>[0], DEFAULTS)).toThrow(message);
  });
});

describe('a dashboard body', () => {
  test('gives every widget its place on the 24-column grid, and each kind what it draws', () => {
    const dashboard = parseDashboardBody(
      JSON.stringify({
        start: '-PT3H',
        widgets: [
          { type: 'text', x: 0, y: 0, width: 24, height: 1, properties: { markdown: '# Title', background: 'transparent' } },
          { type: 'metric', x: 12, y: 1, width: 12, height: 5, properties: { title: 'Errors', stat: 'Sum', period: 60, metrics: [['AWS/Lambda', 'Errors']], annotations: { horizontal: [{ value: 5, label: 'alarm' }] }, yAxis: { left: { min: 0 } } } },
          { type: 'alarm', x: 0, y: 1, width: 12, height: 5, properties: { title: 'Alarms', alarms: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:Send errors'] } },
          { type: 'log', width: 24, properties: { title: 'Errors in logs', query: 'fields @message' } },
        ],
      }),
    );
    expect(dashboard.start).toBe('-PT3H');
    expect(dashboard.widgets).toEqual([
      { type: 'text', x: 0, y: 0, width: 24, height: 1, markdown: '# Title', transparent: true },
      expect.objectContaining({
        type: 'metric',
        x: 12,
        y: 1,
        title: 'Errors',
        view: 'timeSeries',
        stacked: false,
        queries: [expect.objectContaining({ metricName: 'Errors', statistic: 'Sum', periodSeconds: 60 })],
        annotations: [{ value: 5, label: 'alarm', yAxis: 'left', color: undefined }],
        yAxis: { left: { min: 0 }, right: undefined },
        legend: 'bottom',
      }),
      { type: 'alarm', x: 0, y: 1, width: 12, height: 5, title: 'Alarms', alarmArns: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:Send errors'] },
      // No position: below everything before it, with the console's default height.
      { type: 'unsupported', x: 0, y: 6, width: 24, height: 6, title: 'Errors in logs', widgetType: 'log' },
    ]);
  });

  test.each([
    ['text that is not JSON', '{"widgets": [', /not JSON/],
    ['a body without widgets', '{}', /widgets/],
    ['a widget wider than the grid', '{"widgets":[{"type":"text","width":30,"properties":{"markdown":"x"}}]}', /width/],
    ['a metric widget with a bad metric row', '{"widgets":[{"type":"metric","properties":{"metrics":[["..."]]}}]}', /widget 0 \(metric\): metric row 0/],
  ])('refuses %s', (_case, text, message) => {
    expect(() => parseDashboardBody(text)).toThrow(InvalidDashboardBody);
    expect(() => parseDashboardBody(text)).toThrow(message);
  });

  test('the messenger`s own dashboard is read whole: every widget, every metric row', () => {
    const resources = Template.fromStack(new MessengerStack(testApp(), 'Messenger')).toJSON().Resources as Record<string, { Type: string; Properties: { DashboardBody: unknown } }>;
    const [body] = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard')
      .map((resource) => resource.Properties.DashboardBody);
    const resolver = new IntrinsicResolver({ region: 'us-east-1', accountId: '000000000000', partition: 'aws', urlSuffix: 'amazonaws.com', stackName: 'Messenger' });
    // Every resource named after its logical id, whatever attribute the body asks of it.
    const anyAttribute = (logicalId: string) => new Proxy({}, { get: (_target, attribute) => `${logicalId}.${String(attribute)}` });
    for (const logicalId of Object.keys(resources)) resolver.define(logicalId, { ref: logicalId, attributes: anyAttribute(logicalId) });
    const dashboard = parseDashboardBody(resolver.resolveString(body));
    const metricWidgets = dashboard.widgets.filter((widget) => widget.type === 'metric');
    expect(metricWidgets.length).toBeGreaterThan(20);
    expect(dashboard.widgets.filter((widget) => widget.type === 'unsupported')).toEqual([]);
    expect(metricWidgets.flatMap((widget) => widget.queries).filter((query) => query.kind === 'expression').length).toBeGreaterThan(0);
  });
});
