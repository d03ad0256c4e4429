import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AlarmStatus } from '../../local-cloud/services/cloudwatch/alarm-evaluator';
import { byLogicalId, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';

jest.setTimeout(180_000);

// Its own cloud: alarm periods of 2 s instead of the template's minutes, and failed messages back
// after 1 s, so that a poison message reaches the dead-letter queue and its alarm fires within the test.
ownCloudForThisFile({ LOCAL_ALARM_PERIOD_SECONDS: '2', LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: '1' });

type MetricSummary = { namespace: string; metricName: string; dimensions: Record<string, string>; sum: number };

async function metrics(namespace: string): Promise<MetricSummary[]> {
  return ((await (await fetch(`${localCloud().baseUrl}/dev/metrics?namespace=${namespace}`)).json()) as { metrics: MetricSummary[] }).metrics;
}

async function deadLetterAlarm(): Promise<AlarmStatus> {
  const { alarms } = (await (await fetch(`${localCloud().baseUrl}/dev/alarms`)).json()) as { alarms: Record<string, AlarmStatus> };
  const found = Object.values(alarms).find((alarm) => alarm.logicalId.startsWith('MessagePipelineDeadLettersAlarm'));
  if (found === undefined) throw new Error('no alarm on the message dead-letter queue in /dev/alarms');
  return found;
}

test('a poison message puts the message dead-letter alarm in ALARM, its notification is published to the alarm topic, and the function`s failures and EMF metric are recorded', async () => {
  await eventually(async () => (await deadLetterAlarm()).state === 'OK', 30_000, 'the alarm to be OK with an empty dead-letter queue');

  const { sqs: queues } = await standIns();
  const sqs = new SQSClient({ endpoint: queues.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const marker = uniqueUser('poison');
  await sqs.send(new SendMessageCommand({ QueueUrl: byLogicalId(queues.queues, 'MessagePipelineQueue'), MessageBody: JSON.stringify({ threadId: marker, seq: 'not a number' }) }));
  sqs.destroy();

  // The state changes before its notification's publish returns, so wait for both.
  const hasFired = (status: AlarmStatus): boolean => status.state === 'ALARM' && status.notifications.at(-1)?.subject.startsWith('ALARM:') === true;
  await eventually(async () => hasFired(await deadLetterAlarm()), 90_000, 'the dead-letter alarm to fire and notify');
  const alarm = await deadLetterAlarm();
  // What else the five attempts fed: the persistence function's invocations and errors (a batch whose
  // every record failed fails the invocation), and the EMF metric it writes for each unreadable message.
  const persist = (await metrics('AWS/Lambda')).filter((metric) => metric.dimensions.FunctionName?.includes('MessagePipelinePersist'));
  expect(persist.find((metric) => metric.metricName === 'Invocations')?.sum).toBeGreaterThanOrEqual(5);
  expect(persist.find((metric) => metric.metricName === 'Errors')?.sum).toBeGreaterThanOrEqual(5);
  const unreadable = (await metrics('Messenger')).find((metric) => metric.metricName === 'UnreadableMessages');
  expect(unreadable).toMatchObject({ dimensions: { service: 'messenger' } });
  expect(unreadable!.sum).toBeGreaterThanOrEqual(5);
  expect(alarm.reason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[1 /);
  const notification = alarm.notifications.at(-1)!;
  expect(notification.topicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:.*Alarm/);
  expect(notification.messageId).toEqual(expect.any(String));
  expect(notification.subject).toBe(`ALARM: "${alarm.alarmName}" in US East (N. Virginia)`);
  expect(JSON.parse(notification.message)).toMatchObject({ AlarmName: alarm.alarmName, OldStateValue: 'OK', NewStateValue: 'ALARM', Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' } });
});
