import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { presenceOf, shareAThread, type PresenceFrame } from '../support/presence';
import { byLogicalId, clientsClosedAfterEach, connectionRegistry, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(60_000);

const connect = clientsClosedAfterEach();
let registry: Awaited<ReturnType<typeof connectionRegistry>>;
let tables: DynamoDBDocumentClient;
let subscriptionsTable: string;
let connectionsTable: string;
let statusesTable: string;

beforeAll(async () => {
  registry = await connectionRegistry();
  const { dynamodb } = await standIns();
  tables = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  subscriptionsTable = byLogicalId(dynamodb.tables, 'PresenceSubscriptions');
  connectionsTable = byLogicalId(dynamodb.tables, 'Connections');
  statusesTable = byLogicalId(dynamodb.tables, 'PresenceStatuses');
});
afterAll(() => {
  registry.close();
  tables.destroy();
});

/** The presence subscriptions to `user`, read from their table. */
async function subscriptionsOf(user: string) {
  const { Items = [] } = await tables.send(
    new QueryCommand({ TableName: subscriptionsTable, KeyConditionExpression: 'watchedUserId = :user', ExpressionAttributeValues: { ':user': user } }),
  );
  return Items;
}

describe('presence over real sockets', () => {
  it('answers the current state, then pushes online when the user connects and offline with lastSeen when they leave', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const subscriber = await connect(alice);
    // Only people who share a thread see each other.
    await shareAThread(subscriber, bob);
    await shareAThread(subscriber, carol);

    expect(await subscriber.request({ action: 'subscribePresence', userIds: [bob, carol] })).toEqual({
      type: 'presence',
      reqId: expect.any(String),
      users: [
        { userId: bob, status: 'offline' },
        { userId: carol, status: 'offline' },
      ],
    });

    const bobClient = await connect(bob);
    expect(await presenceOf(subscriber, bob, 'online')).toEqual({ userId: bob, status: 'online' });

    const leftAt = Date.now();
    await bobClient.close();
    const offline = await presenceOf(subscriber, bob, 'offline');
    expect(offline.lastSeen).toBeGreaterThanOrEqual(Math.floor(leftAt / 1000) * 1000 - 1000);
    expect(offline.lastSeen).toBeLessThanOrEqual(Date.now());

    // A later subscriber is told the state as it now is, lastSeen included.
    const late = await connect(carol);
    await shareAThread(late, bob);
    expect(await late.request({ action: 'subscribePresence', userIds: [bob] })).toMatchObject({ users: [{ userId: bob, status: 'offline', lastSeen: offline.lastSeen }] });
    // Both transitions were confirmed published: a replay of their records would publish nothing.
    await eventually(
      async () => {
        const { Item } = await tables.send(new GetCommand({ TableName: statusesTable, Key: { userId: bob }, ConsistentRead: true }));
        return Item?.version === 2 && Item.publishPending === undefined;
      },
      10_000,
      "bob's offline to be confirmed published",
    );
  });

  it('keeps a user online while one of two devices is connected', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const subscriber = await connect(alice);
    await shareAThread(subscriber, bob);
    await subscriber.request({ action: 'subscribePresence', userIds: [bob] });
    const laptop = await connect(bob, 'laptop');
    await presenceOf(subscriber, bob, 'online');
    const phone = await connect(bob, 'phone');
    const stopPinging = [subscriber, phone].map((client) => client.pingEvery(1000));
    try {
      // The laptop watches carol: the presence function ends those subscriptions as it handles the
      // laptop closing, which is how the test knows that it has.
      await shareAThread(laptop, carol);
      await laptop.request({ action: 'subscribePresence', userIds: [carol] });
      await laptop.close();
      await eventually(async () => (await subscriptionsOf(carol)).length === 0, 15_000, 'the presence function to handle the laptop closing');
      const laptopHandledAt = Date.now();
      expect(await subscriber.request({ action: 'subscribePresence', userIds: [bob] })).toMatchObject({ users: [{ userId: bob, status: 'online' }] });

      await phone.close();
      // Had the laptop's close made bob offline, that frame would have come first, seen before the laptop was handled.
      expect((await presenceOf(subscriber, bob, 'offline')).lastSeen).toBeGreaterThanOrEqual(laptopHandledAt);
      const pushed = subscriber.frames.filter((frame) => frame.type === 'presence' && frame.reqId === undefined);
      expect(pushed.map((frame) => (frame as PresenceFrame).users.map((user) => user.status))).toEqual([['online'], ['offline']]);
    } finally {
      stopPinging.forEach((stop) => stop());
    }
  });

  it('publishes a change again when @connections failed to deliver it, so the subscriber still gets it', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const subscriber = await connect(alice);
    await shareAThread(subscriber, bob);
    await subscriber.request({ action: 'subscribePresence', userIds: [bob] });
    // The next post to alice fails with 500 however often the SDK retries it (twice, for a 500).
    const faults = `${localCloud().baseUrl}/dev/faults`;
    const arming = await fetch(faults, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'connection', userId: alice, status: 500, times: 3 }) });
    expect(arming.status).toBe(201);
    const { armed } = (await arming.json()) as { armed: { id: string } };

    await connect(bob);

    expect(await presenceOf(subscriber, bob, 'online', 20_000)).toEqual({ userId: bob, status: 'online' });
    // It came on the stream's retry: the fault did answer the first publication.
    const { fired } = (await (await fetch(faults)).json()) as { fired: Array<{ faultId: string }> };
    expect(fired.filter((fault) => fault.faultId === armed.id)).toHaveLength(3);
  });

  it('ends subscriptions with their connection', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const subscriber = await connect(alice);
    await shareAThread(subscriber, bob);
    await subscriber.request({ action: 'subscribePresence', userIds: [bob] });
    expect(await subscriptionsOf(bob)).toHaveLength(1);
    await subscriber.close();
    await eventually(async () => (await subscriptionsOf(bob)).length === 0, 15_000, 'the subscription to end');
  });

  it('has DynamoDB refuse a strongly consistent read of a global secondary index, as AWS does, which is why presence counts on the base table', async () => {
    const readIndexStrongly = new QueryCommand({
      TableName: connectionsTable,
      IndexName: 'byExpiry',
      ConsistentRead: true,
      KeyConditionExpression: 'expiryShard = :shard',
      ExpressionAttributeValues: { ':shard': 0 },
    });
    await expect(tables.send(readIndexStrongly)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/consistent read/i) });
  });

  it('refuses more than 500 user ids and bad ids with bad_request', async () => {
    const alice = uniqueUser('alice');
    const client = await connect(alice);
    const tooMany = Array.from({ length: 501 }, (_, index) => `user-${index}`);
    expect(await client.request({ action: 'subscribePresence', userIds: tooMany })).toMatchObject({ type: 'error', code: 'bad_request', message: /1-500/ });
    expect(await client.request({ action: 'subscribePresence', userIds: ['has space'] })).toMatchObject({ type: 'error', code: 'bad_request' });
  });
});
