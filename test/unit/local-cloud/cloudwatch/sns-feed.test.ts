import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import { putTopicActivity } from '../../../../local-cloud/services/cloudwatch/sns-feed';
import { EndpointRefused, LocalSns } from '../../../../local-cloud/services/sns/sns-server';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:Messenger-PushTopic';

describe('AWS/SNS metrics of a topic, from the local SNS', () => {
  let sns: LocalSns;
  const store = new MetricStore();

  beforeAll(async () => {
    sns = await LocalSns.start({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'sns-feed-')), log: () => undefined });
    sns.onTopicActivity((activity) => putTopicActivity(store, activity));
  });
  afterAll(() => sns.stop());

  it('counts messages published with their size, deliveries, and messages a subscription gave up on', async () => {
    let refuse = false;
    let settled = 0;
    const handOver = async () => {
      settled += 1;
      if (refuse) throw new EndpointRefused('the function is gone');
    };
    const deadLetter = async () => undefined;
    sns.configure([TOPIC_ARN], [{ subscriptionArn: `${TOPIC_ARN}:sub`, topicArn: TOPIC_ARN, handOver, deadLetter }]);
    const publish = (message: string) => fetch(sns.endpoint, { method: 'POST', body: new URLSearchParams({ Action: 'Publish', TopicArn: TOPIC_ARN, Message: message }) });

    expect((await publish('{"recipients":["bob"]}')).status).toBe(200);
    refuse = true;
    expect((await publish('{"recipients":["ann"]}')).status).toBe(200);
    const deadline = Date.now() + 5000;
    while (store.summaries('AWS/SNS').length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    const metrics = Object.fromEntries(store.summaries('AWS/SNS').map((metric) => [metric.metricName, { sum: metric.sum, dimensions: metric.dimensions }]));
    expect(metrics).toEqual({
      NumberOfMessagesPublished: { sum: 2, dimensions: { TopicName: 'Messenger-PushTopic' } },
      PublishSize: { sum: 44, dimensions: { TopicName: 'Messenger-PushTopic' } },
      NumberOfNotificationsDelivered: { sum: 1, dimensions: { TopicName: 'Messenger-PushTopic' } },
      NumberOfNotificationsFailed: { sum: 1, dimensions: { TopicName: 'Messenger-PushTopic' } },
    });
    expect(settled).toBe(2);
  });
});
