import { alarmDefinitionOf, UnsupportedAlarm, type AlarmProperties } from '../../../../local-cloud/services/cloudwatch/alarm-definitions';
import { AlarmEvaluator } from '../../../../local-cloud/services/cloudwatch/alarm-evaluator';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alarms';
const QUEUE = { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: 'dead-letters' } };

/** The message dead-letter alarm as the stack emits it. */
const deadLetterAlarm: AlarmProperties = {
  AlarmActions: [TOPIC],
  OKActions: [TOPIC],
  AlarmDescription: 'Messages failed to reach history.',
  ComparisonOperator: 'GreaterThanThreshold',
  Dimensions: [{ Name: 'QueueName', Value: 'dead-letters' }],
  EvaluationPeriods: 1,
  MetricName: 'ApproximateNumberOfMessagesVisible',
  Namespace: 'AWS/SQS',
  Period: 60,
  Statistic: 'Maximum',
  Threshold: 0,
  TreatMissingData: 'notBreaching',
};

function evaluatorFor(properties: AlarmProperties, periodSecondsOverride?: number) {
  let now = Date.UTC(2026, 10, 30, 11, 0, 0);
  const clock = { advance: (ms: number) => (now += ms), now: () => now };
  const store = new MetricStore(clock.now);
  const published: Array<{ topicArn: string; subject: string; message: string }> = [];
  const evaluator = new AlarmEvaluator([alarmDefinitionOf('DeadLetters', 'DeadLetterAlarm', 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:DeadLetterAlarm', properties)], {
    store,
    region: 'us-east-1',
    periodSecondsOverride,
    log: () => undefined,
    now: clock.now,
    publish: async (topicArn, subject, message) => {
      published.push({ topicArn, subject, message });
      return `message-${published.length}`;
    },
  });
  return { clock, store, published, evaluator };
}

describe('the alarm evaluator', () => {
  test('a dead letter puts the alarm in ALARM once its period ends, and the notification CloudWatch sends goes to the alarm actions', async () => {
    const { clock, store, published, evaluator } = evaluatorFor(deadLetterAlarm, 2);
    expect(evaluator.snapshot().DeadLetterAlarm.state).toBe('INSUFFICIENT_DATA');

    clock.advance(2_600);
    await evaluator.tick();
    expect(evaluator.snapshot().DeadLetterAlarm.state).toBe('OK');
    expect(published.map((notification) => notification.subject)).toEqual(['OK: "DeadLetterAlarm" in US East (N. Virginia)']);

    store.put(QUEUE, 1, clock.now());
    await evaluator.tick();
    expect(evaluator.snapshot().DeadLetterAlarm.state).toBe('OK');
    clock.advance(2_000);
    await evaluator.tick();

    const status = evaluator.snapshot().DeadLetterAlarm;
    expect(status.state).toBe('ALARM');
    expect(status.reason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[1 \(30\/11\/26 11:00:02\)\] was greater than the threshold \(0\.0\)/);
    expect(status.notifications.map((notification) => notification.messageId)).toEqual(['message-1', 'message-2']);
    const alarm = published[1];
    expect(alarm.topicArn).toBe(TOPIC);
    expect(alarm.subject).toBe('ALARM: "DeadLetterAlarm" in US East (N. Virginia)');
    expect(JSON.parse(alarm.message)).toMatchObject({
      AlarmName: 'DeadLetterAlarm',
      AlarmDescription: 'Messages failed to reach history.',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      NewStateReason: status.reason,
      Region: 'US East (N. Virginia)',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:DeadLetterAlarm',
      Trigger: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        StatisticType: 'Statistic',
        Statistic: 'MAXIMUM',
        Dimensions: [{ value: 'dead-letters', name: 'QueueName' }],
        Period: 60,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
      },
    });
  });

  test('without the override, a period is the template`s: a minute passes before the alarm is first evaluated', async () => {
    const { clock, evaluator } = evaluatorFor(deadLetterAlarm);
    clock.advance(30_000);
    await evaluator.tick();
    expect(evaluator.snapshot().DeadLetterAlarm.lastEvaluatedAt).toBeUndefined();
    clock.advance(36_000);
    await evaluator.tick();
    expect(evaluator.snapshot().DeadLetterAlarm.state).toBe('OK');
  });

  test('an alarm on AWS/DynamoDB ignores missing data whatever it says, as CloudWatch documents', async () => {
    const { clock, evaluator } = evaluatorFor({ ...deadLetterAlarm, Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Statistic: 'Sum' }, 2);
    clock.advance(10_000);
    await evaluator.tick();
    expect(evaluator.snapshot().DeadLetterAlarm.state).toBe('INSUFFICIENT_DATA');
  });

  test('an error-rate alarm evaluates its metric math', async () => {
    const { clock, store, evaluator } = evaluatorFor(
      {
        ...deadLetterAlarm,
        Namespace: undefined,
        MetricName: undefined,
        Statistic: undefined,
        Period: undefined,
        Dimensions: undefined,
        Threshold: 5,
        Metrics: [
          { Id: 'expr_1', Expression: '100 * FILL(errors_send, 0) / invocations_send', ReturnData: true },
          { Id: 'errors_send', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: 'send' }] }, Period: 300, Stat: 'Sum' } },
          { Id: 'invocations_send', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: 'send' }] }, Period: 300, Stat: 'Sum' } },
        ],
      },
      2,
    );
    const lambda = (metricName: string) => ({ namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: 'send' } });
    for (let index = 0; index < 10; index++) store.put(lambda('Invocations'), 1, clock.now());
    store.put(lambda('Errors'), 1, clock.now());
    clock.advance(2_600);
    await evaluator.tick();
    expect(evaluator.snapshot().DeadLetterAlarm).toMatchObject({ state: 'ALARM', lastDatapoints: [{ value: 10 }] });
  });

  test.each([
    ['an expression with a function it cannot evaluate', { Metrics: [{ Id: 'e', Expression: 'ANOMALY_DETECTION_BAND(m1)', ReturnData: true }] }, /ANOMALY_DETECTION_BAND/],
    ['an anomaly detection threshold', { ThresholdMetricId: 'band', Threshold: undefined }, /anomaly detection/],
    ['a statistic it does not compute', { Statistic: undefined, ExtendedStatistic: 'TM(10%:90%)' }, /TM\(10%:90%\)/],
  ])('refuses %s at start, naming the alarm', (_case, change, message) => {
    const properties = { ...deadLetterAlarm, ...change } as AlarmProperties;
    expect(() => alarmDefinitionOf('A', 'AnAlarm', 'arn', properties)).toThrow(UnsupportedAlarm);
    expect(() => alarmDefinitionOf('A', 'AnAlarm', 'arn', properties)).toThrow(/AnAlarm/);
    expect(() => alarmDefinitionOf('A', 'AnAlarm', 'arn', properties)).toThrow(message);
  });
});
