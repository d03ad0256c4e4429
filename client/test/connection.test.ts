import type { ConnectionChange } from '../src';
import { advance, connected, fakeClient, FakeSocket, resetSockets, scriptedRandom, tokenOf } from './fake-socket';

beforeEach(() => {
  jest.useFakeTimers();
  resetSockets();
});
afterEach(() => jest.useRealTimers());

describe('connection', () => {
  it('reconnects after any close with exponential backoff and full jitter', async () => {
    const client = fakeClient({ random: scriptedRandom([0.5, 0.25, 0.9]), reconnect: { initialDelayMs: 1000, maxDelayMs: 3000 } });
    const changes: ConnectionChange[] = [];
    client.on('connection', (change) => changes.push(change));
    const first = await connected(client);

    first.cut();
    // Attempt 0: cap 1000 ms, jitter 0.5.
    expect(changes.at(-1)).toEqual({ state: 'reconnecting', reason: 'closed with code 1006', delayMs: 500 });
    await advance(499);
    expect(FakeSocket.all).toHaveLength(1);
    await advance(1);
    expect(FakeSocket.all).toHaveLength(2);

    // The handshake fails: attempt 1, cap 2000 ms, jitter 0.25.
    FakeSocket.latest().onerror?.({});
    expect(changes.at(-1)).toMatchObject({ state: 'reconnecting', delayMs: 500 });
    await advance(500);
    // Attempt 2: cap 4000 capped at 3000, jitter 0.9.
    FakeSocket.latest().cut();
    expect(changes.at(-1)).toMatchObject({ delayMs: 2700 });
    await advance(2700);
    FakeSocket.latest().open();
    expect(client.state).toBe('open');

    // An open connection starts the backoff over.
    FakeSocket.latest().cut();
    expect(changes.at(-1)).toMatchObject({ delayMs: 500 });
    expect(changes.map((change) => change.state)).toEqual(['connecting', 'open', 'reconnecting', 'reconnecting', 'reconnecting', 'open', 'reconnecting']);
    client.close();
    expect(client.state).toBe('closed');
  });

  it('asks the token provider for a fresh token on every connect, and sends deviceId', async () => {
    let version = 0;
    const token = jest.fn(async () => tokenOf('alice', ++version));
    const client = fakeClient({ token, deviceId: 'laptop' });
    const first = await connected(client);
    first.cut();
    await advance(1000);
    const urls = FakeSocket.all.map((socket) => new URL(socket.url));
    expect(token).toHaveBeenCalledTimes(2);
    // The token travels as a subprotocol, never in the URL.
    expect(FakeSocket.all.map((socket) => socket.protocols)).toEqual([
      ['messenger.v1', `bearer.${tokenOf('alice', 1)}`],
      ['messenger.v1', `bearer.${tokenOf('alice', 2)}`],
    ]);
    expect(urls.map((url) => url.searchParams.get('token'))).toEqual([null, null]);
    expect(urls.map((url) => url.searchParams.get('deviceId'))).toEqual(['laptop', 'laptop']);
    expect(client.userId).toBe('alice');
    client.close();
  });

  it("puts the token in ?token= instead when told to (tokenTransport: 'query')", async () => {
    const client = fakeClient({ tokenTransport: 'query' });
    const socket = await connected(client);
    expect(new URL(socket.url).searchParams.get('token')).toBe(tokenOf('alice'));
    expect(socket.protocols).toBeUndefined();
    client.close();
  });

  it('renews its token in-band at four fifths of its life (at the latest a minute before it expires), again for each new token, and reconnects when a renewal is refused', async () => {
    const lifetime = (version: number) => tokenOf('alice', version, { exp: Math.floor(Date.now() / 1000) + 600 });
    let version = 0;
    const client = fakeClient({ token: async () => lifetime(++version), keepAliveMs: 3_600_000 });
    const socket = await connected(client);

    await advance(470_000);
    expect(socket.sentOf('renewToken')).toEqual([]);
    await advance(10_000);
    const [renewal] = socket.sentOf('renewToken');
    expect(renewal).toEqual({ action: 'renewToken', token: expect.any(String), reqId: expect.any(String) });
    expect(JSON.parse(atob(String(renewal.token).split('.')[1]))).toMatchObject({ sub: 'alice', v: 2 });
    socket.reply('renewToken', { type: 'tokenRenewed', expiresAt: (Math.floor(Date.now() / 1000) + 600) * 1000 });
    await advance();

    await advance(470_000);
    expect(socket.sentOf('renewToken')).toHaveLength(1);
    await advance(10_000);
    expect(socket.sentOf('renewToken')).toHaveLength(2);
    socket.reply('renewToken', { type: 'error', code: 'forbidden', message: 'the token is for another user than this connection' });
    await advance(1_000);
    expect(socket.closedWith).toBe(4000);
    expect(FakeSocket.all).toHaveLength(2);
    client.close();
  });

  it('retries with backoff when the token provider fails', async () => {
    const token = jest.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(tokenOf('alice'));
    const client = fakeClient({ token });
    const changes: ConnectionChange[] = [];
    client.on('connection', (change) => changes.push(change));
    const ready = client.connect();
    await advance();
    expect(FakeSocket.all).toHaveLength(0);
    expect(changes.at(-1)).toEqual({ state: 'reconnecting', reason: 'could not connect: offline', delayMs: 250 });
    await advance(250);
    expect(FakeSocket.all).toHaveLength(1);
    client.close();
    await expect(ready).rejects.toThrow('the client is closed');
  });

  it('pings only when idle, and counts a socket without pong as dead', async () => {
    const client = fakeClient({ keepAliveMs: 60_000, pongTimeoutMs: 3_000 });
    const socket = await connected(client);
    await advance(30_000);
    void client.listThreads().catch(() => undefined);
    // The request moved the idle timer: no ping at 60 s after opening.
    await advance(30_000);
    expect(socket.sentOf('ping')).toHaveLength(0);
    await advance(30_000);
    expect(socket.sentOf('ping')).toHaveLength(1);
    socket.reply('ping', { type: 'pong' });
    await advance(60_000);
    expect(socket.sentOf('ping')).toHaveLength(2);
    expect(client.state).toBe('open');
    await advance(3_000);
    expect(client.state).toBe('reconnecting');
    expect(socket.closedWith).toBe(4000);
    client.close();
  });

  it('renews the connection before the gateway’s lifetime limit', async () => {
    const client = fakeClient({ renewAfterMs: 115 * 60_000, keepAliveMs: 10 * 3600_000 });
    const socket = await connected(client);
    await advance(115 * 60_000 - 1);
    expect(FakeSocket.all).toHaveLength(1);
    await advance(1);
    expect(socket.closedWith).toBe(1000);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.latest().open();
    expect(client.state).toBe('open');
    client.close();
  });

  it('rejects replies that break the protocol and ignores frame types it does not know', async () => {
    const client = fakeClient();
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    const socket = await connected(client);
    socket.receive({ type: 'message', threadId: 't1', seq: 0, messageId: 'm', senderId: 'bob', clientMsgId: 'c', text: 'hi', sentAt: 1 });
    socket.receive('not json');
    socket.receive({ type: 'somethingNew', x: 1 });
    expect(errors.map((error) => error.message)).toEqual(['ignored a server frame: message frame: seq Invalid input', 'ignored a server frame: not JSON']);
    expect(client.thread('t1').messages).toHaveLength(0);
    client.close();
  });

  it('turns error replies into ProtocolError carrying the code', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const created = client.createGroup('Trip', ['bob']);
    await advance();
    socket.reply('createGroup', { type: 'error', code: 'forbidden', message: 'no' });
    await expect(created).rejects.toMatchObject({ name: 'ProtocolError', code: 'forbidden', message: 'no' });
    client.close();
  });

  it("treats the device's offline event as a lost connection and reconnects at once on its online event", async () => {
    const network = new EventTarget();
    const client = fakeClient({ network, reconnect: { initialDelayMs: 1000, maxDelayMs: 30_000 } });
    const changes: ConnectionChange[] = [];
    client.on('connection', (change) => changes.push(change));
    const first = await connected(client);

    // The browser keeps the socket "open"; the client gives up on it without waiting for a pong.
    network.dispatchEvent(new Event('offline'));
    expect(changes.at(-1)).toEqual({ state: 'reconnecting', reason: 'the device went offline', delayMs: 500 });
    expect(first.closedWith).toBe(4000);
    await advance(500);
    FakeSocket.latest().onerror?.({});
    // The next try would be up to 2 s away; the network coming back cuts the wait short.
    expect(changes.at(-1)).toMatchObject({ state: 'reconnecting', delayMs: 1000 });
    expect(FakeSocket.all).toHaveLength(2);
    network.dispatchEvent(new Event('online'));
    await advance();
    expect(changes.at(-1)).toEqual({ state: 'reconnecting', reason: 'the device is back online', delayMs: 0 });
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.latest().open();
    expect(client.state).toBe('open');
    // Online while connected changes nothing; after close, the events are no longer heard.
    network.dispatchEvent(new Event('online'));
    await advance(2000);
    expect(FakeSocket.all).toHaveLength(3);
    client.close();
    network.dispatchEvent(new Event('offline'));
    expect(client.state).toBe('closed');
  });
});
