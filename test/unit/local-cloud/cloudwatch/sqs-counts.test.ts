import { DeleteMessageBatchCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import { putFunctionSqsCall, putPollerSqsCounts } from '../../../../local-cloud/services/cloudwatch/sqs-counts';
import { startIamProxy, type RunningIamProxy } from '../../../../local-cloud/services/iam/proxy';
import { startCaptureServer, type CaptureServer } from '../services/iam/capture-server';
import { CALLER, enforcerAllowing } from '../services/iam/test-enforcer';

const QUEUE = 'Messenger-MessageQueue';
const sums = (store: MetricStore) => Object.fromEntries(store.summaries('AWS/SQS').map((metric) => [metric.metricName, [metric.sum, metric.dimensions.QueueName]]));

describe('AWS/SQS counts by queue', () => {
  let upstream: CaptureServer;
  let proxy: RunningIamProxy;
  const store = new MetricStore();

  beforeAll(async () => {
    upstream = await startCaptureServer();
    proxy = await startIamProxy({
      upstream: upstream.endpoint,
      service: 'sqs',
      enforcer: enforcerAllowing([{ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:DeleteMessage'], Resource: `arn:aws:sqs:us-east-1:000000000000:${QUEUE}` }]),
      log: () => undefined,
      observe: (call) => putFunctionSqsCall(store, call),
    });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });

  it('counts the messages a function sends, with their size, and deletes, from its calls through the IAM proxy', async () => {
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: proxy.endpoint, credentials: CALLER, maxAttempts: 1, md5: false });
    const QueueUrl = `${proxy.endpoint}/000000000000/${QUEUE}`;
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'héllo' }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: '1', MessageBody: 'ab' }, { Id: '2', MessageBody: 'cde' }] }));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: '1', ReceiptHandle: 'r1' }, { Id: '2', ReceiptHandle: 'r2' }] }));
    upstream.answer = { status: 500, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{"__type":"InternalError"}' };
    await expect(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'lost' }))).rejects.toBeDefined();
    sqs.destroy();

    expect(sums(store)).toEqual({
      NumberOfMessagesSent: [3, QUEUE],
      SentMessageSize: [6 + 2 + 3, QUEUE],
      NumberOfMessagesDeleted: [2, QUEUE],
    });
  });

  it('counts the messages Lambda`s poller receives and deletes', () => {
    const polled = new MetricStore();
    const queueUrl = `http://127.0.0.1:9324/000000000000/${QUEUE}`;
    putPollerSqsCounts(polled, { kind: 'sqs-received', queueUrl, at: Date.now(), messages: [1, 2, 3].map((n) => ({ messageId: `m${n}`, sentTimestamp: 0, receiveCount: 1 })) });
    putPollerSqsCounts(polled, { kind: 'sqs-deleted', queueUrl, at: Date.now(), messageIds: ['m1', 'm2'] });
    putPollerSqsCounts(polled, { kind: 'sqs-deleted', queueUrl, at: Date.now(), messageIds: [] });
    expect(sums(polled)).toEqual({ NumberOfMessagesReceived: [3, QUEUE], NumberOfMessagesDeleted: [2, QUEUE] });
  });
});
