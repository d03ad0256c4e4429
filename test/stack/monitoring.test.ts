import { Match, Template } from 'aws-cdk-lib/assertions';
import { MessengerStack, type MessengerStackProps } from '../../lib/messenger-stack';
import { logicalIdOf, testApp } from './template';

type Resource = { Type: string; Properties: Record<string, unknown> };
type MetricStat = { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> }; Stat: string };
type AlarmMetric = { Id: string; Expression?: string; MetricStat?: MetricStat };

/** What an alarm reads: its metrics as `namespace/name stat` with their dimensions, and its math expression, if any. */
function readsOf(alarm: Resource) {
  const metrics = (alarm.Properties.Metrics as AlarmMetric[] | undefined) ?? [
    {
      Id: 'm1',
      MetricStat: {
        Metric: { Namespace: alarm.Properties.Namespace, MetricName: alarm.Properties.MetricName, Dimensions: alarm.Properties.Dimensions ?? [] },
        Stat: alarm.Properties.ExtendedStatistic ?? alarm.Properties.Statistic,
      } as MetricStat,
    },
  ];
  const stats = metrics.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat] : []));
  return {
    stats: stats.map((stat) => ({ metric: `${stat.Metric.Namespace}/${stat.Metric.MetricName}`, stat: stat.Stat, dimensions: Object.fromEntries(stat.Metric.Dimensions.map((d) => [d.Name, d.Value])) })),
    expression: metrics.find((metric) => metric.Expression)?.Expression,
  };
}

/** The whole stack, since the monitoring watches whatever the stack holds. */
function synth(props: MessengerStackProps = {}) {
  const stack = new MessengerStack(testApp(), 'Messenger', props);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const alarms = ofType('AWS::CloudWatch::Alarm');
  /** The alarms on `metricName` whose metric (or any metric of their math) names the resource with this logical id. */
  const alarmsOn = (logicalId: string, metricName: string) =>
    alarms.filter(([, alarm]) => {
      const text = JSON.stringify(alarm.Properties);
      return text.includes(`"${logicalId}"`) && text.includes(`"MetricName":"${metricName}"`);
    });
  return { stack, template, ofType, alarms, alarmsOn };
}

describe('Monitoring', () => {
  const { stack, template, ofType, alarms, alarmsOn } = synth();
  const topicId = logicalIdOf(stack, stack.monitoring.alarmTopic);

  it('gives every function an error-rate, a throttles and a p99-duration alarm', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(13);
    for (const [id, fn] of functions) {
      const timeoutMs = (fn.Properties.Timeout as number) * 1000;
      const errorRate = alarmsOn(id, 'Errors');
      expect([id, errorRate.length]).toEqual([id, 1]);
      const [, rate] = errorRate[0];
      expect(readsOf(rate).expression).toMatch(/^100 \* FILL\(errors_\w+, 0\) \/ invocations_\w+$/);
      expect(rate.Properties).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
      expect([id, alarmsOn(id, 'Throttles').map(([, alarm]) => [readsOf(alarm).stats[0].stat, alarm.Properties.Threshold])]).toEqual([id, [['Sum', 0]]]);
      const duration = alarmsOn(id, 'Duration');
      expect([id, duration.length]).toEqual([id, 1]);
      expect(readsOf(duration[0][1]).stats[0].stat).toBe('p99');
      expect(duration[0][1].Properties).toMatchObject({ Threshold: timeoutMs * 0.8, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    }
  });

  it('gives the function of every stream mapping an IteratorAge alarm of a minute', () => {
    const streamMappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, mapping]) => JSON.stringify(mapping.Properties.EventSourceArn).includes('StreamArn'));
    expect(streamMappings).toHaveLength(2);
    for (const [, mapping] of streamMappings) {
      const functionId = (mapping.Properties.FunctionName as { Ref: string }).Ref;
      expect(alarmsOn(functionId, 'IteratorAge').map(([, alarm]) => [readsOf(alarm).stats[0].stat, alarm.Properties.Threshold])).toEqual([['Maximum', 60_000]]);
    }
  });

  it('alarms while any dead-letter queue holds a message, and on the age of the oldest message to history', () => {
    const queues = ofType('AWS::SQS::Queue');
    const deadLetterIds = new Set(
      [...JSON.stringify(template.toJSON().Resources).matchAll(/"(?:deadLetterTargetArn|Destination)":\{"Fn::GetAtt":\["(\w+)","Arn"\]\}/g)].map(([, id]) => id),
    );
    const messageQueueId = logicalIdOf(stack, stack.messagePipeline.queue);
    const pushRetryQueueId = logicalIdOf(stack, stack.push.retryQueue);
    expect(queues.map(([id]) => id).sort()).toEqual([...deadLetterIds, messageQueueId, pushRetryQueueId].sort());
    expect(deadLetterIds.size).toBe(4);
    for (const id of deadLetterIds) {
      expect([id, alarmsOn(id, 'ApproximateNumberOfMessagesVisible').map(([, alarm]) => alarm.Properties.Threshold)]).toEqual([id, [0]]);
    }
    const lag = alarmsOn(messageQueueId, 'ApproximateAgeOfOldestMessage');
    expect(lag.map(([, alarm]) => [readsOf(alarm).stats[0].stat, alarm.Properties.Threshold])).toEqual([['Maximum', 300]]);
  });

  it('alarms on the history lag past the threshold it is given (the local cloud`s tests shorten it)', () => {
    const { stack, alarmsOn } = synth({ historyLagAlarmSeconds: 20 });
    const lag = alarmsOn(logicalIdOf(stack, stack.messagePipeline.queue), 'ApproximateAgeOfOldestMessage');
    expect(lag.map(([, alarm]) => [alarm.Properties.Threshold, alarm.Properties.AlarmDescription])).toEqual([[20, expect.stringContaining('more than 20 seconds')]]);
  });

  it('gives every DynamoDB table read-throttle, write-throttle and system-error alarms, system errors over every operation the functions use', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(10);
    for (const [id] of tables) {
      expect([id, alarmsOn(id, 'ReadThrottleEvents').length, alarmsOn(id, 'WriteThrottleEvents').length]).toEqual([id, 1, 1]);
      const systemErrors = alarmsOn(id, 'SystemErrors');
      expect([id, systemErrors.length]).toEqual([id, 1]);
      const { stats, expression } = readsOf(systemErrors[0][1]);
      expect(stats.map((stat) => stat.dimensions.Operation)).toEqual(expect.arrayContaining(['TransactWriteItems', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'GetRecords']));
      expect(expression!.split(' + ').every((term) => /^FILL\(\w+, 0\)$/.test(term))).toBe(true);
    }
  });

  it("alarms on the WebSocket stage's integration and execution errors and a spike of client errors", () => {
    const apiId = logicalIdOf(stack, stack.gateway.api);
    for (const [metricName, threshold] of [['IntegrationError', 5], ['ExecutionError', 0], ['ClientError', 100]] as const) {
      const found = alarmsOn(apiId, metricName).map(([, alarm]) => [readsOf(alarm).stats, alarm.Properties.Threshold]);
      expect(found).toEqual([[[{ metric: `AWS/ApiGateway/${metricName}`, stat: 'Sum', dimensions: { ApiId: { Ref: apiId }, Stage: 'prod' } }], threshold]]);
    }
  });

  it('alarms on failed notifications of the push topic, and on the custom metrics of failed deliveries, push and presence', () => {
    expect(alarmsOn(logicalIdOf(stack, stack.push.topic), 'NumberOfNotificationsFailed')).toHaveLength(1);
    for (const metricName of ['DeliveriesFailed', 'DeliveriesGone', 'PushSendFailures', 'PushRequestsNotPublished', 'PresenceFramesFailed', 'PresenceChangesFailed']) {
      const found = alarms.filter(([, alarm]) => readsOf(alarm).stats.some((stat) => stat.metric === `Messenger/${metricName}`));
      expect([metricName, found.map(([, alarm]) => [readsOf(alarm).stats, alarm.Properties.TreatMissingData])]).toEqual([
        metricName,
        [[[{ metric: `Messenger/${metricName}`, stat: 'Sum', dimensions: { service: 'messenger' } }], 'notBreaching']],
      ]);
    }
  });

  it('has every alarm notify the alarm topic on ALARM and on OK, and nothing else', () => {
    expect(alarms.length).toBeGreaterThan(70);
    for (const [id, alarm] of alarms) {
      expect([id, alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([id, [{ Ref: topicId }], [{ Ref: topicId }]]);
      expect([id, alarm.Properties.ActionsEnabled ?? true]).toEqual([id, true]);
    }
    expect(stack.monitoring.alarms).toHaveLength(alarms.length);
  });

  it('names every alarm as the runbook (docs/operations.md) does', () => {
    const documented = [
      /^Messenger-Functions-\w+-ErrorRate-Critical$/,
      /^Messenger-\w+-Throttled-Count-Critical$/,
      /^Messenger-\w+-Latency-P99-Critical$/,
      /^Messenger-(RelayFunction|PresenceChangesFunction)-Iterator-Age-Max-Critical$/,
      /^Messenger-MessageQueue-Queue-Message-Age-Max-Critical$/,
      /^Messenger-Gateway-(IntegrationErrors|ExecutionErrors|ClientErrors)-Critical$/,
      /^Messenger-\w+-(Read|Write)-Throttled-Events-Critical$/,
      /^Messenger-Tables-\w+-SystemErrors-Critical$/,
      /^Messenger-PushTopic-Topic-Notifications-Failed-Critical$/,
      /^Messenger-Push-(PushSendFailures|PushRequestsNotPublished)-Critical$/,
      /^Messenger-Delivery-(DeliveriesFailed|DeliveriesGone|PresenceFramesFailed|PresenceChangesFailed)-Critical$/,
    ];
    const named = alarms.flatMap(([, alarm]) => (typeof alarm.Properties.AlarmName === 'string' ? [alarm.Properties.AlarmName] : []));
    expect(named.filter((name) => !documented.some((pattern) => pattern.test(name)))).toEqual([]);
    // The dead-letter queues' alarms are named by CloudFormation, `Messenger-<logical id>-<suffix>`.
    expect(alarms.filter(([, alarm]) => alarm.Properties.AlarmName === undefined).map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
      ['MessagePipelineDeadLettersAlarm', 'PresenceDeadLettersAlarm', 'PushDeadLettersAlarm', 'RelayDeadLettersAlarm'],
    );
  });

  it('encrypts the alarm topic with a rotated key that CloudWatch alarms of this stack may use, and lets them publish', () => {
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', Match.arrayWith([':alarm:Messenger-*'])] } },
    };
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(stack, stack.monitoring.alarmTopicKey), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: fromOurAlarms })]) },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: fromOurAlarms }),
        ]),
      },
    });
  });

  it('subscribes no address unless one is given, and the given one by email', () => {
    expect(ofType('AWS::SNS::Subscription').filter(([, subscription]) => subscription.Properties.Protocol === 'email')).toEqual([]);
    const withEmail = synth({ alarmEmail: 'ops@example.com' });
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalIdOf(withEmail.stack, withEmail.stack.monitoring.alarmTopic) },
    });
  });

  it('draws one dashboard with traffic, ack latency, queues, streams, tables, Keyspaces and push', () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0][1].Properties.DashboardBody);
    for (const shown of ['ConnectCount', 'MessageCount', 'MessagesSent', 'FramesDelivered', 'AckLatency', 'p99', 'IteratorAge', 'ApproximateAgeOfOldestMessage', 'ConsumedWriteCapacityUnits', 'AWS/Cassandra', 'PushNotificationsSent', 'Throttles']) {
      expect([shown, body.includes(shown)]).toEqual([shown, true]);
    }
  });

  it('labels every series of a dashboard chart differently, so that a legend tells them apart', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard');
    const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('')) as {
      widgets: Array<{ type: string; properties: { title?: string; metrics?: unknown[][] } }>;
    };
    const charts = body.widgets.filter((widget) => widget.type === 'metric' && widget.properties.metrics);
    expect(charts.length).toBeGreaterThan(10);
    for (const chart of charts) {
      const shown = chart.properties.metrics!.map((series) => series[series.length - 1] as { label?: string; visible?: boolean }).filter((options) => options.visible !== false);
      const labels = shown.map((options) => options.label);
      expect([chart.properties.title, labels.filter((label, index) => labels.indexOf(label) !== index)]).toEqual([chart.properties.title, []]);
    }
  });
});
