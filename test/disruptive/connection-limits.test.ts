import { connectionRegistry, connectUrl, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';
import { presenceOf, shareAThread } from '../support/presence';
import { TestClient } from '../support/ws-client';

jest.setTimeout(90_000);

/** API Gateway's 10-minute idle limit and 2-hour lifetime, shortened so that tests can watch them act. */
const IDLE_TIMEOUT_SECONDS = 6;
const MAX_CONNECTION_SECONDS = 20;
/** The minutely sweep of stale connections runs this often instead. */
const SCHEDULE_SECONDS = 2;

// A cloud of its own: with limits this short, any test sharing it that paused for a few seconds
// under load would lose its connections. The local cloud's TTL sweep runs once a day here, as
// DynamoDB's TTL may take days (see the lost-$disconnect test).
ownCloudForThisFile({
  LOCAL_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS),
  LOCAL_MAX_CONNECTION_SECONDS: String(MAX_CONNECTION_SECONDS),
  LOCAL_SCHEDULE_SECONDS: String(SCHEDULE_SECONDS),
  LOCAL_TTL_SWEEP_SECONDS: '86400',
});

let registry: Awaited<ReturnType<typeof connectionRegistry>>;
beforeAll(async () => {
  registry = await connectionRegistry();
});
afterAll(() => registry.close());

/** Opens a connection and says how long it stayed open, and with which close code. */
async function lifetimeOf(client: TestClient, openedAt: number) {
  const { code } = await client.closed;
  return { code, livedMs: Date.now() - openedAt };
}

describe('the idle limit', () => {
  it('closes a connection idle for longer than the limit with 1001 and forgets it', async () => {
    const user = uniqueUser('erin');
    const client = await TestClient.connect(await connectUrl(user));
    const { code, livedMs } = await lifetimeOf(client, Date.now());
    expect(code).toBe(1001);
    expect(livedMs).toBeGreaterThanOrEqual(IDLE_TIMEOUT_SECONDS * 1000 - 250);
    expect(livedMs).toBeLessThan(IDLE_TIMEOUT_SECONDS * 1000 + 3000);
    await eventually(async () => (await registry.connectionsOf(user)).length === 0, 15_000, 'the record to be deleted');
  });

  it('keeps a connection that pings open past the limit', async () => {
    const pinging = await TestClient.connect(await connectUrl(uniqueUser('frank')));
    const stopPinging = pinging.pingEvery((IDLE_TIMEOUT_SECONDS * 1000) / 3);
    try {
      // Opened after the pinging one, so when the gateway closes it for idling, the pinging one's
      // idle limit has passed too.
      const silent = await TestClient.connect(await connectUrl(uniqueUser('grace')));
      expect((await silent.closed).code).toBe(1001);
      expect(await pinging.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
    } finally {
      stopPinging();
      await pinging.close();
    }
  });

  it('shows a user offline within the idle limit plus one sweep when their $disconnect is lost', async () => {
    // This cloud's TTL stand-in sweeps once a day (and DynamoDB Local's own TTL is off), so only the
    // stack's own sweep of stale connections can take the record away within the test.
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const subscriber = await TestClient.connect(await connectUrl(alice));
    const stopPinging = subscriber.pingEvery(1000);
    try {
      await shareAThread(subscriber, bob);
      await subscriber.request({ action: 'subscribePresence', userIds: [bob] });
      await TestClient.connect(await connectUrl(bob));
      await presenceOf(subscriber, bob, 'online');
      const [record] = await registry.connectionsOf(bob);
      const lastActiveAt = Number(record.lastActiveAt);

      const dropped = await fetch(`${localCloud().baseUrl}/dev/drop?user=${bob}`, { method: 'POST' });
      expect(await dropped.json()).toEqual({ dropped: 1 });
      // No $disconnect ran: the record stays until the stack finds it stale.
      expect(await registry.connectionsOf(bob)).toHaveLength(1);

      const limitMs = (IDLE_TIMEOUT_SECONDS + SCHEDULE_SECONDS) * 1000 + 3000;
      const offline = await presenceOf(subscriber, bob, 'offline', limitMs);
      expect(Date.now() - lastActiveAt).toBeLessThan(limitMs);
      expect(offline.lastSeen).toBe(lastActiveAt);
      expect(await registry.connectionsOf(bob)).toEqual([]);
      // The gateway holds it no more: the sweep takes it off his list, which deliveries read.
      await eventually(async () => (await registry.listOf(bob)).length === 0, 5_000, 'the dropped connection to leave the list');
    } finally {
      stopPinging();
      await subscriber.close();
    }
  });

  it('keeps on its list, and delivering to, a connection swept as stale that the gateway still holds open', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const sender = await TestClient.connect(await connectUrl(alice));
    const stopPinging = sender.pingEvery(1000);
    try {
      const quiet = await TestClient.connect(await connectUrl(bob));
      const [record] = await registry.connectionsOf(bob);
      // As if it had gone quiet long ago, while the gateway (idle limit 6 s) still holds it open.
      await registry.put({ ...record, expiresAt: Math.floor(Date.now() / 1000) - 1 });
      await eventually(async () => (await registry.connectionsOf(bob)).length === 0, 5_000, 'the sweep to remove the stale record');
      expect(await registry.listOf(bob)).toEqual([record.connectionId]);

      await sender.request({ action: 'sendMessage', clientMsgId: 'still-open', to: bob, text: 'are you there?' });
      await quiet.waitFor((frame) => frame.type === 'message' && frame.clientMsgId === 'still-open');

      // Once the gateway closes it for idling, $disconnect takes it off the list.
      expect((await quiet.closed).code).toBe(1001);
      await eventually(async () => (await registry.listOf(bob)).length === 0, 15_000, 'the closed connection to leave the list');
    } finally {
      stopPinging();
      await sender.close();
    }
  });
});

describe('the connection lifetime limit', () => {
  it('closes a connection that reaches it with 1001, busy or not, and forgets it as after any close', async () => {
    const user = uniqueUser('long');
    const client = await TestClient.connect(await connectUrl(user));
    const openedAt = Date.now();
    const stopPinging = client.pingEvery(1000);
    try {
      expect(await registry.connectionsOf(user)).toHaveLength(1);
      // API Gateway closes with 1001 on reaching the 2-hour lifetime, as for the idle limit, then runs $disconnect.
      const { code, livedMs } = await lifetimeOf(client, openedAt);
      expect(code).toBe(1001);
      expect(livedMs).toBeGreaterThanOrEqual(MAX_CONNECTION_SECONDS * 1000 - 250);
      expect(livedMs).toBeLessThan(MAX_CONNECTION_SECONDS * 1000 + 3000);
      // It was in use to the end: the pings were answered.
      expect(client.frames.filter((frame) => frame.type === 'pong').length).toBeGreaterThanOrEqual(MAX_CONNECTION_SECONDS - 5);
      await eventually(async () => (await registry.connectionsOf(user)).length === 0, 15_000, '$disconnect to forget the connection');
    } finally {
      stopPinging();
    }
  });
});
