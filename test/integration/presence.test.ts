import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TestClient } from '../support/ws-client';
import { byLogicalId, clientsClosedAfterEach, connectionRegistry, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(60_000);

const connect = clientsClosedAfterEach();
let registry: Awaited<ReturnType<typeof connectionRegistry>>;

beforeAll(async () => {
  registry = await connectionRegistry();
});
afterAll(() => registry.close());

type PresenceFrame = { type: string; reqId?: string; users: Array<{ userId: string; status: string; lastSeen?: number }> };

/** Pings every second, as a client app does, so that the subscriber outlives the shortened idle limit. */
function keptAlive(client: TestClient): () => void {
  const timer = setInterval(() => client.send({ action: 'ping' }), 1000);
  return () => clearInterval(timer);
}

/** The next pushed presence frame about `userId` with the given status. */
function presenceOf(client: TestClient, userId: string, status: string, timeoutMs = 5000) {
  return client
    .waitFor((frame) => frame.type === 'presence' && frame.reqId === undefined && (frame as PresenceFrame).users.some((user) => user.userId === userId && user.status === status), timeoutMs)
    .then((frame) => (frame as PresenceFrame).users.find((user) => user.userId === userId)!);
}

describe('presence over real sockets', () => {
  it('answers the current state, then pushes online when the user connects and offline with lastSeen when they leave', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const subscriber = await connect(alice);

    expect(await subscriber.request({ action: 'subscribePresence', userIds: [bob, carol] })).toEqual({
      type: 'presence',
      reqId: 'req-1',
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
    expect(await late.request({ action: 'subscribePresence', userIds: [bob] })).toMatchObject({ users: [{ userId: bob, status: 'offline', lastSeen: offline.lastSeen }] });
  });

  it('keeps a user online while one of two devices is connected', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const subscriber = await connect(alice);
    await subscriber.request({ action: 'subscribePresence', userIds: [bob] });
    const laptop = await connect(bob, 'laptop');
    await presenceOf(subscriber, bob, 'online');
    const phone = await connect(bob, 'phone');
    const pushed = () => subscriber.frames.filter((frame) => frame.type === 'presence' && frame.reqId === undefined);
    const pushedBefore = pushed().length;

    await laptop.close();
    // Long enough for the stream to carry the close through; nothing may arrive.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(pushed()).toHaveLength(pushedBefore);
    expect(await subscriber.request({ action: 'subscribePresence', userIds: [bob] })).toMatchObject({ users: [{ userId: bob, status: 'online' }] });

    await phone.close();
    await presenceOf(subscriber, bob, 'offline');
  });

  it('shows a user offline within the idle limit plus one sweep when their $disconnect is lost', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const subscriber = await connect(alice);
    const stopPinging = keptAlive(subscriber);
    try {
      await subscriber.request({ action: 'subscribePresence', userIds: [bob] });
      await connect(bob);
      await presenceOf(subscriber, bob, 'online');
      const [record] = await registry.connectionsOf(bob);
      const lastActiveAt = Number(record.lastActiveAt);

      const dropped = await fetch(`${localCloud().baseUrl}/dev/drop?user=${bob}`, { method: 'POST' });
      expect(await dropped.json()).toEqual({ dropped: 1 });
      // No $disconnect ran: the record stays until the stack finds it stale.
      expect(await registry.connectionsOf(bob)).toHaveLength(1);

      const { idleTimeoutSeconds, scheduleSeconds } = localCloud();
      const limitMs = (idleTimeoutSeconds + scheduleSeconds) * 1000 + 3000;
      const offline = await presenceOf(subscriber, bob, 'offline', limitMs);
      expect(Date.now() - lastActiveAt).toBeLessThan(limitMs);
      expect(offline.lastSeen).toBe(lastActiveAt);
      expect(await registry.connectionsOf(bob)).toEqual([]);
    } finally {
      stopPinging();
    }
  });

  it('ends subscriptions with their connection', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const { dynamodb } = await standIns();
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    const subscriptionsOf = async (user: string) =>
      (
        await client.send(
          new QueryCommand({
            TableName: byLogicalId(dynamodb.tables, 'PresenceSubscriptions'),
            KeyConditionExpression: 'watchedUserId = :user',
            ExpressionAttributeValues: { ':user': user },
          }),
        )
      ).Items ?? [];
    try {
      const subscriber = await connect(alice);
      await subscriber.request({ action: 'subscribePresence', userIds: [bob] });
      expect(await subscriptionsOf(bob)).toHaveLength(1);
      await subscriber.close();
      await eventually(async () => (await subscriptionsOf(bob)).length === 0, 5000, 'the subscription to end');
    } finally {
      client.destroy();
    }
  });

  it('refuses more than 500 user ids and bad ids with bad_request', async () => {
    const alice = uniqueUser('alice');
    const client = await connect(alice);
    const tooMany = Array.from({ length: 501 }, (_, index) => `user-${index}`);
    expect(await client.request({ action: 'subscribePresence', userIds: tooMany })).toMatchObject({ type: 'error', code: 'bad_request', message: /1-500/ });
    expect(await client.request({ action: 'subscribePresence', userIds: ['has space'] })).toMatchObject({ type: 'error', code: 'bad_request' });
  });
});
