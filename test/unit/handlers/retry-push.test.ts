import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambdas/handlers/retry-push';
import { logger, metrics } from '../../../lambdas/shared/observability';
import { lambdaContext } from '../../support/lambda-events';

const dynamodb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const addMetric = jest.spyOn(metrics, 'addMetric');
const logError = jest.spyOn(logger, 'error');

const device = (userId: string, n: number) => ({ userId, deviceKey: `fcm#${n}`, platform: 'fcm', token: `tok-${n}`, endpointArn: `arn:aws:sns:us-east-1:1:endpoint/GCM/app/${n}` });
const notification = { threadId: 'thread-1', seq: 42, preview: { senderId: 'alice', text: 'your code is 493021' } };

function record(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:push-retries',
    awsRegion: 'us-east-1',
  };
}
const retry = (...records: SQSRecord[]) => handler({ Records: records } satisfies SQSEvent, lambdaContext);

beforeEach(() => {
  addMetric.mockClear();
  logError.mockClear();
  dynamodb.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  // bob's device 1 is still his; bob's device 2 was unregistered; carol turned previews off.
  dynamodb.on(GetCommand).resolves({});
  dynamodb.on(GetCommand, { Key: { userId: 'bob', deviceKey: 'fcm#1' } }).resolves({ Item: device('bob', 1) });
  dynamodb.on(GetCommand, { Key: { userId: 'carol', deviceKey: 'fcm#3' } }).resolves({ Item: device('carol', 3) });
  dynamodb.on(BatchGetCommand).resolves({ Responses: { 'user-settings': [{ userId: 'carol', pushPreviews: false }] } });
});

describe('retry-push', () => {
  it('reports only the unreadable record failed, with a clear error log, and retries the rest of the batch as things stand now', async () => {
    const result = await retry(
      record('good', { device: device('bob', 1), notification }),
      record('garbled', '{not json'),
      record('wrong-shape', { device: { userId: 'bob' }, notification }),
      record('unregistered', { device: device('bob', 2), notification }),
      record('previews-off', { device: device('carol', 3), notification }),
    );

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbled' }, { itemIdentifier: 'wrong-shape' }] });
    expect(logError).toHaveBeenCalledWith(expect.stringMatching(/^push retry wrong-shape is unreadable: device\.deviceKey/), expect.objectContaining({ messageId: 'wrong-shape' }));
    expect(addMetric).toHaveBeenCalledWith('UnreadablePushRetries', 'Count', 1);
    // Two publishes: bob's device 1 as queued, carol's without sender and text; none to the unregistered device.
    const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(published.map((input) => input.TargetArn).sort()).toEqual([device('bob', 1).endpointArn, device('carol', 3).endpointArn]);
    const toCarol = published.find((input) => input.TargetArn === device('carol', 3).endpointArn)!;
    expect(toCarol.Message).not.toMatch(/493021|alice/);
    expect(addMetric).toHaveBeenCalledWith('PushRetriesDropped', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('PushPreviewsWithheld', 'Count', 1);
  });

  it('reports a delivery failed again when its device cannot be read, having sent it nothing', async () => {
    dynamodb.on(GetCommand, { Key: { userId: 'bob', deviceKey: 'fcm#1' } }).rejects(new Error('throttled'));
    const result = await retry(record('unread', { device: device('bob', 1), notification }), record('other', { device: device('carol', 3), notification }));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'unread' }] });
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.TargetArn)).toEqual([device('carol', 3).endpointArn]);
  });
});
