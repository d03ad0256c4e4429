import type { AlarmStatus } from '../../local-cloud/services/cloudwatch/alarm-evaluator';
import { standIn, faultsDisarmedAfterEach } from '../support/faults';
import { connectUrl, eventually, localCloud, messagesInQueue, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';
import { TestClient } from '../support/ws-client';

jest.setTimeout(300_000);

// Its own cloud: it stops Cassandra. Alarm periods last 10 s: long enough that an invocation's
// datapoints (put at its start, known at its end) are in before its period is evaluated, a
// quarter period after it ends. Failed messages come back after 15 s, so a message is received
// three times (after which SQS leaves it out of the queue's age) only after 30 s; and the history
// lag alarms past 20 s instead of 5 minutes.
ownCloudForThisFile({ LOCAL_ALARM_PERIOD_SECONDS: '10', LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: '15', LOCAL_HISTORY_LAG_ALARM_SECONDS: '20' });

const arm = faultsDisarmedAfterEach();

/** The alarm whose logical id starts with this, as `GET /dev/alarms` shows it. */
async function alarm(logicalIdPrefix: string): Promise<AlarmStatus> {
  const { alarms } = (await (await fetch(`${localCloud().baseUrl}/dev/alarms`)).json()) as { alarms: Record<string, AlarmStatus> };
  const found = Object.values(alarms).find((candidate) => candidate.logicalId.startsWith(logicalIdPrefix));
  if (found === undefined) throw new Error(`no alarm ${logicalIdPrefix}… in /dev/alarms`);
  return found;
}

/** What the alarm told its topic, as `STATE from → to`. */
function told(status: AlarmStatus): string[] {
  return status.notifications.filter((sent) => sent.messageId !== undefined).map((sent) => {
    const { OldStateValue, NewStateValue } = JSON.parse(sent.message) as { OldStateValue: string; NewStateValue: string };
    return `${OldStateValue} -> ${NewStateValue}`;
  });
}

/**
 * In `state`, and its topic told so. The evaluator sets the state before the publish returns, so
 * a check of the state alone can see the change before its notification.
 */
function settledIn(status: AlarmStatus, state: 'OK' | 'ALARM'): boolean {
  return status.state === state && told(status).at(-1)?.endsWith(`-> ${state}`) === true;
}

type MetricSummary = { namespace: string; metricName: string; dimensions: Record<string, string>; datapoints: number; sum: number };

async function metrics(namespace: string): Promise<MetricSummary[]> {
  return ((await (await fetch(`${localCloud().baseUrl}/dev/metrics?namespace=${namespace}`)).json()) as { metrics: MetricSummary[] }).metrics;
}

const ERROR_RATE = 'MonitoringFacadeMessengerFunctionsChatActionsErrorRate';
const HISTORY_LAG = 'MonitoringFacadeMessengerMessageQueueQueueMessageAge';

describe('alarms under injected faults', () => {
  it('a chat function killed mid-send puts its error-rate alarm in ALARM and notifies the alarm topic', async () => {
    await eventually(async () => (await alarm(ERROR_RATE)).state !== 'INSUFFICIENT_DATA', 30_000, 'the error-rate alarm to be evaluated');
    expect((await alarm(ERROR_RATE)).state).toBe('OK');
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await arm({ kind: 'kill', function: 'ChatActions', point: 'chat.committed', userId: alice });
    const client = await TestClient.connect(await connectUrl(alice));
    try {
      client.send({ action: 'sendMessage', clientMsgId: 'dies', to: bob, text: 'the function dies after the commit' });
      await eventually(async () => settledIn(await alarm(ERROR_RATE), 'ALARM'), 60_000, 'the chat function`s error-rate alarm to fire');
    } finally {
      await client.close();
    }
    const status = await alarm(ERROR_RATE);
    expect(status.reason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[100 .* was greater than the threshold \(5\.0\)/);
    expect(told(status)).toContain('OK -> ALARM');
    expect(status.notifications.at(-1)!.topicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:.*Alarm/);
    // The gateway saw the same failure: the route's integration answered with an error.
    const integrationErrors = (await metrics('AWS/ApiGateway')).find((metric) => metric.metricName === 'IntegrationError');
    expect(integrationErrors).toMatchObject({ dimensions: { ApiId: 'local', Stage: expect.any(String) } });
    expect(integrationErrors!.sum).toBeGreaterThanOrEqual(1);
  });

  it('Cassandra stopped while messages are sent makes the history-lag alarm fire, and it clears once Cassandra is back and the backlog drains', async () => {
    await eventually(async () => (await alarm(HISTORY_LAG)).state === 'OK', 30_000, 'the history-lag alarm to be OK');
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await TestClient.connect(await connectUrl(alice));
    try {
      await standIn('cassandra', 'stop');
      // Messages keep coming during the outage, as they would: each waits in the queue for history.
      let sent = 0;
      let lastSentAt = 0;
      await eventually(
        async () => {
          // One message every two seconds: a steady trickle, not a flood the queue takes minutes to drain.
          if (Date.now() - lastSentAt < 2000) return settledIn(await alarm(HISTORY_LAG), 'ALARM');
          lastSentAt = Date.now();
          const ack = await client.request({ action: 'sendMessage', clientMsgId: `during-outage-${sent}`, to: bob, text: `message ${sent}` }, 30_000);
          expect(ack).toMatchObject({ status: 'sent' });
          sent += 1;
          return settledIn(await alarm(HISTORY_LAG), 'ALARM');
        },
        120_000,
        'the history-lag alarm to fire while Cassandra is down',
      );
      const fired = await alarm(HISTORY_LAG);
      expect(fired.reason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[\d+ .* was greater than the threshold \(20\.0\)/);
      expect(told(fired)).toContain('OK -> ALARM');
    } finally {
      await client.close();
      await standIn('cassandra', 'restart');
    }
    await eventually(async () => (await messagesInQueue('MessagePipelineQueue')) === 0, 120_000, 'the backlog to drain into history');
    await eventually(async () => settledIn(await alarm(HISTORY_LAG), 'OK'), 30_000, 'the history-lag alarm to clear');
    expect(told(await alarm(HISTORY_LAG)).slice(-2)).toEqual(['OK -> ALARM', 'ALARM -> OK']);
    // The sends went through the threads table's stream to the relay, which put them on the queue.
    const relayAge = (await metrics('AWS/Lambda')).find((metric) => metric.metricName === 'IteratorAge' && /RelayFunction/.test(metric.dimensions.FunctionName));
    expect(relayAge?.datapoints).toBeGreaterThan(0);
    // And the rest of the way: the sends' writes to the threads table, and bob (offline) asked for push.
    const threadWrites = (await metrics('AWS/DynamoDB')).find((metric) => metric.metricName === 'ConsumedWriteCapacityUnits' && /ChatThreads/.test(metric.dimensions.TableName));
    expect(threadWrites?.sum).toBeGreaterThan(0);
    const pushRequests = (await metrics('AWS/SNS')).find((metric) => metric.metricName === 'NumberOfMessagesPublished' && /Push/.test(metric.dimensions.TopicName));
    expect(pushRequests?.sum).toBeGreaterThan(0);
  });
});
