import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EndpointDisabledException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambdas/handlers/send-push';
import { metrics } from '../../../lambdas/shared/observability';
import { lambdaContext } from '../../support/lambda-events';

const dynamodb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);

function snsEvent(message: unknown): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:push:sub',
        Sns: {
          Type: 'Notification',
          MessageId: 'sns-1',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:push',
          Subject: '',
          Message: typeof message === 'string' ? message : JSON.stringify(message),
          Timestamp: '2026-11-23T00:00:00Z',
          SignatureVersion: '1',
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: {},
        },
      },
    ],
  };
}

const request = { recipients: ['bob'], senderId: 'alice', threadId: 'thread-1', seq: 42, preview: 'see you' };
const fcmDevice = { userId: 'bob', deviceKey: 'fcm#1', platform: 'fcm', token: 'tok-1', endpointArn: 'arn:aws:sns:us-east-1:1:endpoint/GCM/app/1' };
const apnsDevice = { userId: 'bob', deviceKey: 'apns#2', platform: 'apns', token: 'tok-2', endpointArn: 'arn:aws:sns:us-east-1:1:endpoint/APNS/app/2' };

const addMetric = jest.spyOn(metrics, 'addMetric');

beforeEach(() => {
  addMetric.mockClear();
  dynamodb.reset();
  sns.reset();
  sqs.reset();
  // Nobody has changed a setting: previews on.
  dynamodb.on(BatchGetCommand).resolves({ Responses: { 'user-settings': [] } });
});

describe('send-push', () => {
  it('publishes to each device endpoint with a payload for its platform', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [fcmDevice, apnsDevice] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });

    await handler(snsEvent(request), lambdaContext);

    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'push-devices', ExpressionAttributeValues: { ':userId': 'bob' } });
    const publishes = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(publishes.map((input) => input.TargetArn).sort()).toEqual([apnsDevice.endpointArn, fcmDevice.endpointArn].sort());
    const fcm = JSON.parse(publishes.find((input) => input.TargetArn === fcmDevice.endpointArn)!.Message!);
    expect(JSON.parse(fcm.GCM).fcmV1Message.message).toEqual({
      notification: { title: 'alice', body: 'see you' },
      data: { senderId: 'alice', threadId: 'thread-1', seq: '42', preview: 'see you' },
    });
    const apns = JSON.parse(publishes.find((input) => input.TargetArn === apnsDevice.endpointArn)!.Message!);
    expect(JSON.parse(apns.APNS)).toMatchObject({ aps: { alert: { title: 'alice', body: 'see you' } }, threadId: 'thread-1', seq: '42' });
    expect(publishes.every((input) => input.MessageStructure === 'json')).toBe(true);
  });

  it('deletes the record of a device whose endpoint SNS has disabled', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [fcmDevice] });
    dynamodb.on(DeleteCommand).resolves({});
    sns.on(PublishCommand).rejects(new EndpointDisabledException({ message: 'Endpoint is disabled', $metadata: {} }));

    await handler(snsEvent(request), lambdaContext);

    expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, { TableName: 'push-devices', Key: { userId: 'bob', deviceKey: 'fcm#1' } });
  });

  it('shows only "New message", with no sender or text in any field, to a recipient with previews off', async () => {
    dynamodb.on(BatchGetCommand).resolves({ Responses: { 'user-settings': [{ userId: 'bob', pushPreviews: false }] } });
    dynamodb.on(QueryCommand).resolves({ Items: [fcmDevice, apnsDevice] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });

    await handler(snsEvent(request), lambdaContext);

    for (const { input } of sns.commandCalls(PublishCommand).map((call) => call.args[0])) {
      expect(input.Message).not.toMatch(/see you|alice/);
      const message = JSON.parse(input.Message!);
      expect(message.default).toBe('New message');
      const platform = message.APNS ? JSON.parse(message.APNS) : JSON.parse(message.GCM).fcmV1Message.message;
      expect(platform.aps?.alert ?? platform.notification).toEqual({ body: 'New message' });
    }
  });

  it('queues a delivery that failed for its own retry, and succeeds: the other devices are not sent to again', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [fcmDevice, apnsDevice] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' }).on(PublishCommand, { TargetArn: fcmDevice.endpointArn }).rejects(new Error('Throttling'));
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'q', MD5OfMessageBody: '' }], Failed: [] });

    await handler(snsEvent(request), lambdaContext);

    const [{ args }] = sqs.commandCalls(SendMessageBatchCommand);
    expect(args[0].input.QueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/push-retries');
    expect(args[0].input.Entries!.map((entry) => JSON.parse(entry.MessageBody!))).toEqual([
      { device: fcmDevice, notification: { threadId: 'thread-1', seq: 42, preview: { senderId: 'alice', text: 'see you' } } },
    ]);
    expect(dynamodb).not.toHaveReceivedCommand(DeleteCommand);
    expect(addMetric).toHaveBeenCalledWith('PushSendFailures', 'Count', 1);
  });

  it('fails the request when a failed delivery cannot be queued for its retry', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [fcmDevice] });
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    sqs.on(SendMessageBatchCommand).rejects(new Error('queue unreachable'));
    await expect(handler(snsEvent(request), lambdaContext)).rejects.toThrow(/could not be queued/);
  });

  it.each([
    ['not JSON', 'hello'],
    ['no recipients', { ...request, recipients: [] }],
    ['a recipient id outside the contract', { ...request, recipients: ['b o b'] }],
    ['a preview over 100 characters', { ...request, preview: 'x'.repeat(101) }],
  ])('fails on a request with %s, sending nothing', async (_case, message) => {
    await expect(handler(snsEvent(message), lambdaContext)).rejects.toThrow(/unreadable/);
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(dynamodb).not.toHaveReceivedAnyCommand();
  });
});
