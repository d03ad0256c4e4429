import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsPushRetries } from '../../lambdas/adapters/sqs-push-retries';
import type { PushDevice } from '../../lambdas/domain/push';
import { MAX_PUSH_DEVICES_PER_USER } from '../../lambdas/domain/push-registration';
import { byLogicalId, clientsClosedAfterEach, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';
import { functionLog } from '../support/local-functions';
import type { TestClient } from '../support/ws-client';

jest.setTimeout(120_000);

const connect = clientsClosedAfterEach();
let dynamodb: DynamoDBDocumentClient;
let devicesTable: string;
let sqs: SQSClient;
/** The push retry queue, written to as the push function writes a failed delivery to it. */
let retries: SqsPushRetries;

beforeAll(async () => {
  const stand = await standIns();
  dynamodb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stand.dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  devicesTable = byLogicalId(stand.dynamodb.tables, 'PushDevices');
  sqs = new SQSClient({ endpoint: stand.sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  retries = new SqsPushRetries(sqs, byLogicalId(stand.sqs.queues, 'PushRetryQueue'));
});
afterAll(() => {
  dynamodb.destroy();
  sqs.destroy();
});

async function pushesTo(user: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${localCloud().baseUrl}/dev/push?user=${user}`);
  return ((await response.json()) as { notifications: Array<Record<string, unknown>> }).notifications;
}

/** The push requests for a thread the push function has finished with, as it logs them. */
async function pushRequestsDone(threadId: unknown) {
  return (await functionLog('PushSend')).filter((entry) => entry.threadId === threadId && typeof entry.sent === 'number');
}

async function devicesOf(user: string): Promise<PushDevice[]> {
  const { Items = [] } = await dynamodb.send(
    new QueryCommand({ TableName: devicesTable, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': user }, ConsistentRead: true }),
  );
  return Items as PushDevice[];
}

async function tokensOf(user: string): Promise<string[]> {
  return (await devicesOf(user)).map((device) => String(device.token)).sort();
}

/** What the retry function logged of its retries for a thread, once it has handled `count` of them. */
async function retriesDone(threadId: string, count = 1): Promise<Array<Record<string, unknown>>> {
  let done: Array<Record<string, unknown>> = [];
  await eventually(
    async () => (done = (await functionLog('PushRetry')).filter((entry) => entry.threadId === threadId && typeof entry.outcome === 'string')).length >= count,
    20_000,
    'the retry to be handled',
  );
  return done;
}

/** Registers the tokens on one connection, `inFlight` requests at a time. */
async function register(client: TestClient, tokens: string[], inFlight: number): Promise<void> {
  for (let start = 0; start < tokens.length; start += inFlight) {
    const replies = await Promise.all(tokens.slice(start, start + inFlight).map((token) => client.request({ action: 'registerPush', platform: 'fcm', token }, 30_000)));
    for (const reply of replies) expect(reply).toMatchObject({ type: 'pushRegistered' });
  }
}

describe('push devices and previews over real sockets', () => {
  it(`keeps ${MAX_PUSH_DEVICES_PER_USER} devices of a user who registers 300, the last registered, so that one message makes ${MAX_PUSH_DEVICES_PER_USER} pushes`, async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const bobClient = await connect(bob);
    const tokens = Array.from({ length: 300 }, (_, index) => `fcm-${bob}-${String(index).padStart(3, '0')}`);
    const last = tokens.slice(-MAX_PUSH_DEVICES_PER_USER);
    await register(bobClient, tokens.slice(0, -MAX_PUSH_DEVICES_PER_USER), 10);
    // The last ones one at a time: they are the most recently registered.
    await register(bobClient, last, 1);
    expect(await tokensOf(bob)).toEqual(last);
    await bobClient.close();

    const aliceClient = await connect(alice);
    const { threadId } = (await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'hi' })) as { threadId: string };
    await eventually(async () => (await pushRequestsDone(threadId)).length === 1, 20_000, 'the push request to be done');
    expect((await pushRequestsDone(threadId))[0]).toMatchObject({ sent: MAX_PUSH_DEVICES_PER_USER, failed: 0 });
    expect((await pushesTo(bob)).map((push) => push.token).sort()).toEqual(last);
  });

  it('leaves no sender and no text anywhere in the notification of a user who turned previews off', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    for (const [user, previews] of [[bob, false], [carol, true]] as const) {
      const phone = await connect(user);
      await register(phone, [`fcm-${user}`], 1);
      await phone.request({ action: 'registerPush', platform: 'apns', token: `apns-${user}` });
      expect(await phone.request({ action: 'updateSettings', pushPreviews: previews })).toMatchObject({ type: 'settings', pushPreviews: previews, activeStatus: true });
      await phone.close();
    }
    const aliceClient = await connect(alice);
    const { threadId } = (await aliceClient.request({ action: 'createGroup', name: 'Codes', members: [bob, carol] })) as { threadId: string };
    await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c1', threadId, text: 'your code is 493021' });
    await eventually(async () => (await pushRequestsDone(threadId)).length === 1, 20_000, 'the push request to be done');

    const bobs = await pushesTo(bob);
    expect(bobs.map((push) => push.platform).sort()).toEqual(['apns', 'fcm']);
    for (const push of bobs) {
      expect(push.alert).toEqual({ body: 'New message' });
      expect(push.payload).not.toMatch(/493021|your code/);
      expect(push.payload).not.toContain(alice);
      expect(push).toMatchObject({ threadId, seq: 1 });
      expect(push.preview).toBeUndefined();
    }
    // Previews on (the default kept): the sender and the text, as before.
    for (const push of await pushesTo(carol)) {
      expect(push).toMatchObject({ alert: { title: alice, body: 'your code is 493021' }, senderId: alice, preview: 'your code is 493021' });
    }
  });

  it('by default (the contract) pushes a stranger’s first message, a message request, to the offline recipient with the sender and the preview', async () => {
    const [stranger, bob] = ['stranger', 'bob'].map(uniqueUser);
    const phone = await connect(bob);
    await register(phone, [`fcm-${bob}`], 1);
    await phone.close();
    const strangerClient = await connect(stranger);
    const { threadId } = (await strangerClient.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'hello from nowhere' })) as { threadId: string };
    await eventually(async () => (await pushesTo(bob)).length === 1, 20_000, 'the push of the request');
    expect((await pushesTo(bob))[0]).toMatchObject({ threadId, seq: 1, senderId: stranger, preview: 'hello from nowhere' });
  });

  it('with requestNotifications off pushes nothing for a message request, and pushes the next message once the request is accepted', async () => {
    const [stranger, bob] = ['stranger', 'bob'].map(uniqueUser);
    let phone = await connect(bob);
    await register(phone, [`fcm-${bob}`], 1);
    expect(await phone.request({ action: 'updateSettings', requestNotifications: false })).toMatchObject({ type: 'settings', requestNotifications: false, presenceAudience: 'everyone' });
    await phone.close();
    const strangerClient = await connect(stranger);
    const { threadId } = (await strangerClient.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'hello from nowhere' })) as { threadId: string };
    // The push function has handled the request and sent nothing.
    await eventually(async () => (await pushRequestsDone(threadId)).length === 1, 20_000, 'the push request to be done');
    expect((await pushRequestsDone(threadId))[0]).toMatchObject({ sent: 0 });
    expect(await pushesTo(bob)).toEqual([]);

    phone = await connect(bob);
    expect(await phone.request({ action: 'acceptRequest', threadId })).toMatchObject({ type: 'requestAccepted', threadId });
    await phone.close();
    await strangerClient.request({ action: 'sendMessage', clientMsgId: 'c2', threadId, text: 'thanks for accepting' });
    await eventually(async () => (await pushesTo(bob)).length === 1, 20_000, 'the push once accepted');
    expect((await pushesTo(bob))[0]).toMatchObject({ threadId, seq: 2, senderId: stranger, preview: 'thanks for accepting' });
  });

  describe('a failed delivery retried from the retry queue', () => {
    // Each queued as the push function queues a delivery that failed, for the device as registered then.
    const notification = (threadId: string, sender: string) => ({ threadId, seq: 1, preview: { senderId: sender, text: 'your code is 493021' } });

    it('is dropped, unsent, when its user has unregistered the device since', async () => {
      const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
      const phone = await connect(bob);
      await register(phone, [`fcm-${bob}`], 1);
      const [device] = await devicesOf(bob);
      expect(await phone.request({ action: 'unregisterPush', platform: 'fcm', token: `fcm-${bob}` })).toMatchObject({ type: 'pushUnregistered' });
      await phone.close();

      const threadId = `t-${bob}`;
      expect(await retries.retryLater([{ device: device!, notification: notification(threadId, alice) }])).toEqual([]);
      expect(await retriesDone(threadId)).toEqual([expect.objectContaining({ outcome: 'unregistered', userId: bob })]);
      expect(await pushesTo(bob)).toEqual([]);
    });

    it('is dropped, unsent, when another user has registered the device since (a handed-on phone)', async () => {
      const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
      const token = `fcm-${bob}-handed-on`;
      const bobsPhone = await connect(bob);
      await register(bobsPhone, [token], 1);
      const [device] = await devicesOf(bob);
      const carolsPhone = await connect(carol);
      await register(carolsPhone, [token], 1);
      expect(await tokensOf(bob)).toEqual([]);

      const threadId = `t-${bob}`;
      expect(await retries.retryLater([{ device: device!, notification: notification(threadId, alice) }])).toEqual([]);
      expect(await retriesDone(threadId)).toEqual([expect.objectContaining({ outcome: 'unregistered', userId: bob })]);
      // Neither bob's record nor carol's phone got bob's notification.
      expect(await pushesTo(bob)).toEqual([]);
      expect(await pushesTo(carol)).toEqual([]);
    });

    it('carries no sender and no text when its user has turned previews off since', async () => {
      const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
      const phone = await connect(bob);
      await register(phone, [`fcm-${bob}`], 1);
      const [device] = await devicesOf(bob);
      expect(await phone.request({ action: 'updateSettings', pushPreviews: false })).toMatchObject({ type: 'settings', pushPreviews: false });
      await phone.close();

      const threadId = `t-${bob}`;
      expect(await retries.retryLater([{ device: device!, notification: notification(threadId, alice) }])).toEqual([]);
      expect(await retriesDone(threadId)).toEqual([expect.objectContaining({ outcome: 'sent', previewWithheld: true })]);
      const [push, ...more] = await pushesTo(bob);
      expect(more).toEqual([]);
      expect(push).toMatchObject({ threadId, seq: 1, alert: { body: 'New message' } });
      expect(push!.preview).toBeUndefined();
      expect(JSON.stringify(push)).not.toMatch(/493021|your code/);
      expect(JSON.stringify(push)).not.toContain(alice);
    });
  });
});
