import WebSocket from 'ws';
import { InvalidFrameError, MessengerClient, type MessageEvent, type MessengerClientOptions, type WebSocketConstructor } from '../../client/src';
import { connectUrl, eventually as eventuallyHolds, localCloud, tokenFor, uniqueUser } from '../support/local-cloud-env';
import { TestClient } from '../support/ws-client';

jest.setTimeout(120_000);

/** How long a test waits for the stack to act: long enough for cold starts on a busy machine. */
const WAIT_MS = 30_000;

type Frame = Record<string, unknown>;

const open: MessengerClient[] = [];
const errors: Error[] = [];
/** What the clients went through, for the message of a failed wait. */
const history: string[] = [];
afterEach(() => {
  history.length = 0;
  for (const client of open.splice(0)) client.close();
  // Every frame the stack sent matched the protocol's schemas, or the SDK would have reported it.
  // (A function failing under load on a busy machine is the gateway's error, not the protocol's.)
  expect(errors.splice(0).filter((error) => error instanceof InvalidFrameError)).toEqual([]);
});

/** An SDK client as an app would make one, with the test cloud's short idle limit in mind. */
function sdkClient(user: string, options: Partial<MessengerClientOptions> = {}): MessengerClient {
  const client = new MessengerClient({
    url: localCloud().webSocketUrl,
    token: () => tokenFor(user),
    WebSocket,
    keepAliveMs: 2_000,
    // Generous: a cold start on a busy machine must not count as a dead socket.
    pongTimeoutMs: 30_000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
    ...options,
  });
  client.on('error', (error) => {
    errors.push(error);
    history.push(`${user} error: ${error.message}`);
  });
  client.on('connection', (change) => history.push(`${user} ${JSON.stringify(change)}`));
  open.push(client);
  return client;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  try {
    await eventuallyHolds(check, timeoutMs, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the clients went through: ${history.join('; ')}`);
  }
}

/**
 * Connects as an app starts: connect, then list the threads. The round trip also marks the
 * connection live again, which matters with the tests' 6 s idle limit when a slow cold start
 * has eaten most of the handshake's share of it.
 */
async function started(...clients: MessengerClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.connect()));
  await Promise.all(clients.map((client) => client.listThreads()));
}

function messagesOf(client: MessengerClient): MessageEvent[] {
  const events: MessageEvent[] = [];
  client.on('message', (event) => events.push(event));
  return events;
}

async function dropSocketsOf(user: string): Promise<void> {
  const response = await fetch(`${localCloud().baseUrl}/dev/drop?user=${user}`, { method: 'POST' });
  expect(response.status).toBe(200);
}

/**
 * A `ws` socket that, on the first `sendMessage` it carries, has the gateway cut the user's
 * sockets and hears nothing more itself: the frame went out, its ack can never come back.
 */
function cutMidSend(user: string, sent: Frame[]): WebSocketConstructor {
  let cut = false;
  return class CutMidSend {
    private readonly socket: WebSocket;
    private deaf = false;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: unknown) => void) | null = null;
    onclose: ((event: unknown) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;

    constructor(url: string, protocols?: string[]) {
      this.socket = new WebSocket(url, protocols);
      this.socket.onopen = (event) => this.onopen?.(event);
      this.socket.onmessage = (event) => void (this.deaf || this.onmessage?.(event));
      this.socket.onclose = (event) => this.onclose?.(event);
      this.socket.onerror = (event) => this.onerror?.(event);
    }

    get readyState(): number {
      return this.socket.readyState;
    }

    send(data: string): void {
      this.socket.send(data);
      const frame = JSON.parse(data) as Frame;
      sent.push(frame);
      if (frame.action === 'sendMessage' && !cut) {
        cut = true;
        this.deaf = true;
        void dropSocketsOf(user);
      }
    }

    close(code?: number, reason?: string): void {
      this.socket.close(code, reason);
    }
  };
}

describe('the client SDK against the local cloud', () => {
  it('lets two clients chat: sent, delivered and read, both ways', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const aliceClient = sdkClient(alice);
    const bobClient = sdkClient(bob);
    const bobHears = messagesOf(bobClient);
    await started(aliceClient, bobClient);

    const hello = aliceClient.send({ to: bob, text: 'hi bob' });
    const states: string[] = [];
    hello.onChange((handle) => states.push(handle.state));
    await hello.sent;
    await eventually(async () => bobHears.length === 1, WAIT_MS, 'bob hears alice');
    expect(bobHears[0]).toMatchObject({ threadId: hello.threadId, message: { seq: 1, senderId: alice, text: 'hi bob', clientMsgId: hello.clientMsgId } });
    // A first message from a stranger is a request: bob's client acks nothing of it (a delivery
    // receipt would tell alice when he is online) until he accepts it, then acks delivery by
    // itself; reading is his to say.
    expect(hello.state).toBe('sent');
    await bobClient.acceptRequest(hello.threadId!);
    await eventually(async () => hello.state === 'delivered', WAIT_MS, 'delivered');
    bobClient.markRead(hello.threadId!);
    await eventually(async () => hello.state === 'read', WAIT_MS, 'read');
    expect(states).toEqual(['sent', 'delivered', 'read']);

    const reply = bobClient.send({ threadId: hello.threadId!, text: 'hello alice' });
    expect((await reply.sent).seq).toBe(2);
    await eventually(async () => aliceClient.thread(hello.threadId!).messages.length === 2, WAIT_MS, 'alice hears bob');
    expect(aliceClient.thread(hello.threadId!).messages.map((message) => [message.senderId, message.text])).toEqual([
      [alice, 'hi bob'],
      [bob, 'hello alice'],
    ]);
  });

  it('delivers a message exactly once when its socket is cut mid-send', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const sent: Frame[] = [];
    const aliceClient = sdkClient(alice, { WebSocket: cutMidSend(alice, sent) });
    const bobClient = sdkClient(bob);
    const bobHears = messagesOf(bobClient);
    await started(aliceClient, bobClient);

    const handle = aliceClient.send({ to: bob, text: 'through the cut' });
    await handle.sent;
    const attempts = sent.filter((frame) => frame.action === 'sendMessage');
    expect(attempts.map((frame) => frame.clientMsgId)).toEqual([handle.clientMsgId, handle.clientMsgId]);

    // A later message proves nothing more of the first is on its way.
    await aliceClient.send({ threadId: handle.threadId!, text: 'after the cut' }).sent;
    await eventually(async () => bobHears.some((event) => event.message.text === 'after the cut'), WAIT_MS, 'bob hears the later message');
    expect(bobHears.filter((event) => event.message.clientMsgId === handle.clientMsgId)).toHaveLength(1);
    const history = await bobClient.thread(handle.threadId!).loadOlder();
    expect(bobClient.thread(handle.threadId!).messages.map((message) => message.text)).toEqual(['through the cut', 'after the cut']);
    expect(history).toEqual([]);
  });

  it('catches up after an offline period', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    let offline: Promise<void> | undefined;
    let backOnline = () => {};
    let waitingToReconnect = 0;
    const aliceClient = sdkClient(alice);
    const bobClient = sdkClient(bob, {
      token: async () => {
        if (offline !== undefined) {
          waitingToReconnect += 1;
          await offline;
        }
        return tokenFor(bob);
      },
    });
    const bobHears = messagesOf(bobClient);
    await started(aliceClient, bobClient);
    const first = await aliceClient.send({ to: bob, text: 'one' }).sent;
    await eventually(async () => bobHears.length === 1, WAIT_MS, 'bob hears the first message');

    // Bob goes offline: his sockets are cut (again, should one open meanwhile) until his client
    // waits for a token, which it gets only when he is back.
    offline = new Promise((resolve) => (backOnline = resolve));
    await eventually(
      async () => {
        if (bobClient.state === 'open') await dropSocketsOf(bob);
        return waitingToReconnect > 0 && bobClient.state === 'reconnecting';
      },
      WAIT_MS,
      'bob offline',
    );
    // The ack comes before delivery, so bob must not come back before the last message's delivery
    // has looked him up: alice's second device is in the same delivery, and gets it only after that.
    const aliceWatch = await TestClient.connect(await connectUrl(alice, { deviceId: 'watch' }));
    try {
      for (const text of ['two', 'three', 'four']) await aliceClient.send({ threadId: first.threadId!, text }).sent;
      await aliceWatch.waitFor((frame) => frame.type === 'message' && frame.text === 'four', WAIT_MS);
    } finally {
      await aliceWatch.close();
    }
    offline = undefined;
    backOnline();

    await eventually(async () => bobClient.thread(first.threadId!).messages.length === 4, WAIT_MS, 'bob caught up');
    expect(bobClient.thread(first.threadId!).messages.map((message) => [message.seq, message.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
    ]);
    expect(bobHears.slice(1).map((event) => event.source)).toEqual(['fetched', 'fetched', 'fetched']);
    expect(bobClient.thread(first.threadId!).unreadCount).toBe(4);
  });

  it('keeps watching presence across a reconnect', async () => {
    const [alice, carol] = [uniqueUser('alice'), uniqueUser('carol')];
    const aliceClient = sdkClient(alice);
    await started(aliceClient);
    // A shared thread, as a user who limits their presence audience to threads would ask.
    await aliceClient.send({ to: carol, text: 'hi carol' }).sent;
    await aliceClient.watch([carol]);
    expect(aliceClient.presenceOf(carol)).toEqual({ userId: carol, status: 'offline' });

    const carolClient = sdkClient(carol);
    await started(carolClient);
    await eventually(async () => aliceClient.presenceOf(carol)?.status === 'online', WAIT_MS, 'carol online');

    // Alice's socket is cut; her subscription died with it, so only a new one can tell her more.
    const reconnected = new Promise<void>((resolve) => aliceClient.on('connection', (change) => change.state === 'open' && resolve()));
    await dropSocketsOf(alice);
    await reconnected;
    carolClient.close();
    await eventually(async () => aliceClient.presenceOf(carol)?.status === 'offline', WAIT_MS, 'carol offline after alice reconnected');
    expect(aliceClient.presenceOf(carol)?.lastSeen).toEqual(expect.any(Number));
  });
});
