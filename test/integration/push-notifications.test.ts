import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CreatePlatformEndpointCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { byLogicalId, eventually, localCloud, standIns, uniqueUser, type StandIns } from '../support/local-cloud-env';

jest.setTimeout(60_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let stand: StandIns;
let sns: SNSClient;
let sqs: SQSClient;
let dynamodb: DynamoDBDocumentClient;
let devicesTable: string;
let topicArn: string;

beforeAll(async () => {
  stand = await standIns();
  sns = new SNSClient({ endpoint: stand.sns.endpoint, region: 'us-east-1', credentials });
  sqs = new SQSClient({ endpoint: stand.sqs.endpoint, region: 'us-east-1', credentials });
  dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stand.dynamodb.endpoint, region: 'us-east-1', credentials }));
  devicesTable = byLogicalId(stand.dynamodb.tables, 'PushDevices');
  topicArn = byLogicalId(stand.sns.topics, 'PushTopic');
});

afterAll(() => {
  sns.destroy();
  sqs.destroy();
  dynamodb.destroy();
});

/** Registers a device as `registerPush` will: a platform endpoint for the token, and its record. */
async function registerDevice(userId: string, platform: 'apns' | 'fcm', token: string): Promise<void> {
  const { EndpointArn } = await sns.send(
    new CreatePlatformEndpointCommand({ PlatformApplicationArn: stand.sns.platformApplications[platform], Token: token, CustomUserData: userId }),
  );
  await dynamodb.send(
    new PutCommand({ TableName: devicesTable, Item: { userId, deviceKey: `${platform}#${token}`, platform, token, endpointArn: EndpointArn } }),
  );
}

async function devicesOf(userId: string) {
  const { Items = [] } = await dynamodb.send(
    new QueryCommand({ TableName: devicesTable, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId } }),
  );
  return Items;
}

async function pushesTo(user: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${localCloud().baseUrl}/dev/push?user=${user}`);
  return ((await response.json()) as { notifications: Array<Record<string, unknown>> }).notifications;
}

async function requestPush(request: unknown): Promise<void> {
  await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(request) }));
}

describe('push notifications: topic -> send function -> SNS mobile push -> push services', () => {
  it('notifies every registered device of every recipient, and records what the push services got', async () => {
    const [bob, carol] = [uniqueUser('bob'), uniqueUser('carol')];
    await registerDevice(bob, 'fcm', `fcm-${bob}`);
    await registerDevice(bob, 'apns', `apns-${bob}`);
    await registerDevice(carol, 'fcm', `fcm-${carol}`);

    await requestPush({ recipients: [bob, carol], senderId: 'alice', threadId: 'thread-9', seq: 7, preview: 'hi there' });

    await eventually(async () => (await pushesTo(bob)).length === 2 && (await pushesTo(carol)).length === 1, 10_000, 'the pushes to arrive');
    const received = await pushesTo(bob);
    expect(received.map((push) => push.platform).sort()).toEqual(['apns', 'fcm']);
    for (const push of received) {
      expect(push).toEqual({
        platform: expect.any(String),
        token: `${push.platform}-${bob}`,
        senderId: 'alice',
        threadId: 'thread-9',
        seq: 7,
        preview: 'hi there',
        at: expect.any(Number),
      });
    }
  });

  it('removes a device whose endpoint the push services disabled', async () => {
    const dave = uniqueUser('dave');
    await registerDevice(dave, 'fcm', `invalid-${dave}`);
    await registerDevice(dave, 'apns', `apns-${dave}`);

    await requestPush({ recipients: [dave], senderId: 'alice', threadId: 't', seq: 1, preview: 'one' });
    await eventually(async () => (await pushesTo(dave)).length === 1, 10_000, 'the first push');
    await requestPush({ recipients: [dave], senderId: 'alice', threadId: 't', seq: 2, preview: 'two' });

    await eventually(async () => (await devicesOf(dave)).length === 1, 10_000, 'the disabled device to be removed');
    expect((await devicesOf(dave))[0]).toMatchObject({ platform: 'apns' });
    await eventually(async () => (await pushesTo(dave)).length === 2, 10_000, 'the second push to the good device');
  });

  it('moves a request it cannot read to the subscription dead-letter queue after retries', async () => {
    const marker = uniqueUser('unreadable');
    await requestPush({ recipients: [], marker });
    const deadLetterQueueUrl = byLogicalId(stand.sqs.queues, 'PushDeadLetters');
    let found = false;
    await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 1 }),
        );
        found = Messages.some((message) => message.Body?.includes(marker));
        return found;
      },
      20_000,
      'the request to reach the dead-letter queue',
    );
    expect(found).toBe(true);
  });

  it('answers /dev/push for a user without devices with an empty list, and refuses a bad user id', async () => {
    expect(await pushesTo(uniqueUser('nobody'))).toEqual([]);
    expect((await fetch(`${localCloud().baseUrl}/dev/push?user=a%20b`)).status).toBe(400);
  });
});
