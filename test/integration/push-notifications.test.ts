import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CreatePlatformEndpointCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { byLogicalId, eventually, localCloud, standIns, uniqueUser, type StandIns } from '../support/local-cloud-env';
import { fixture, shapeOf } from '../unit/local-cloud/fixtures';

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
        alert: { title: 'alice', body: 'hi there' },
        payload: expect.any(String),
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

  it('sends to each device on its own: one that fails is retried alone, and no device gets the notification twice', async () => {
    const erin = uniqueUser('erin');
    // Devices are read in key order: the failing one sits between the two others.
    await registerDevice(erin, 'apns', `apns-${erin}`);
    await registerDevice(erin, 'fcm', `flaky-${erin}`);
    await registerDevice(erin, 'fcm', `good-${erin}`);

    await requestPush({ recipients: [erin], senderId: 'alice', threadId: 't', seq: 1, preview: 'one' });

    // The flaky device fails its first send (its three attempts) and gets the notification from the retry queue.
    await eventually(async () => (await pushesTo(erin)).some((push) => push.token === `flaky-${erin}`), 30_000, 'the retried push to the flaky device');
    expect((await pushesTo(erin)).map((push) => push.token).sort()).toEqual([`apns-${erin}`, `flaky-${erin}`, `good-${erin}`]);
    expect(await devicesOf(erin)).toHaveLength(3);
  });

  it("sends a request the function fails on, after Lambda's two retries, to its on-failure destination: the push dead-letter queue", async () => {
    const marker = uniqueUser('unreadable');
    await requestPush({ recipients: [], marker });
    const deadLetterQueueUrl = byLogicalId(stand.sqs.queues, 'PushDeadLetters');
    let record: Record<string, any> | undefined;
    await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 1 }),
        );
        const body = Messages.map((message) => message.Body ?? '').find((candidate) => candidate.includes(marker));
        record = body === undefined ? undefined : JSON.parse(body);
        return record !== undefined;
      },
      30_000,
      'the invocation record to reach the dead-letter queue',
    );
    // Lambda's record, as AWS documents it, not SNS's envelope: SNS handed the request over.
    const { requestPayload, responsePayload, ...context } = record!;
    const { requestPayload: _request, responsePayload: _response, ...documented } = fixture('async-invocation-record-failure');
    expect(shapeOf(context)).toEqual(shapeOf(documented));
    const { functions } = (await (await fetch(`${localCloud().baseUrl}/dev/functions`)).json()) as { functions: Array<{ logicalId: string; functionArn: string }> };
    const { functionArn } = functions.find((candidate) => candidate.logicalId.startsWith('PushSend'))!;
    expect(context.requestContext).toMatchObject({ functionArn: `${functionArn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(context.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    expect(JSON.parse(requestPayload.Records[0].Sns.Message)).toEqual({ recipients: [], marker });
    expect(responsePayload).toEqual({ errorType: expect.any(String), errorMessage: expect.any(String) });
  });

  it('answers /dev/push for a user without devices with an empty list, and refuses a bad user id', async () => {
    expect(await pushesTo(uniqueUser('nobody'))).toEqual([]);
    expect((await fetch(`${localCloud().baseUrl}/dev/push?user=a%20b`)).status).toBe(400);
  });
});
