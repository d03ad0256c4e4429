import { MemoryOutboxStore, type MessageState } from '../src';
import { advance, connected, fakeClient, FakeSocket, resetSockets, scriptedRandom } from './fake-socket';

beforeEach(() => {
  jest.useFakeTimers();
  resetSockets();
});
afterEach(() => jest.useRealTimers());

const ackFor = (frame: Record<string, unknown>, seq = 1) => ({
  type: 'ack',
  status: 'sent',
  clientMsgId: frame.clientMsgId,
  threadId: 'dm_1',
  seq,
  messageId: `m-${seq}`,
  sentAt: 1000 + seq,
});

describe('outbox', () => {
  it('keeps a message across a drop and resends it with the same clientMsgId, once', async () => {
    const store = new MemoryOutboxStore();
    const client = fakeClient({ outboxStore: store });
    const first = await connected(client);
    const states: MessageState[] = [];
    const handle = client.send({ to: 'bob', text: 'hi' });
    handle.onChange((h) => states.push(h.state));
    await advance();
    const [attempt] = first.sentOf('sendMessage');
    expect(attempt).toMatchObject({ to: 'bob', text: 'hi', clientMsgId: handle.clientMsgId });
    expect(await store.load()).toHaveLength(1);

    first.cut();
    await advance(1000);
    const second = FakeSocket.latest();
    second.open();
    await advance();
    expect(second.sentOf('sendMessage')).toEqual([{ ...attempt, reqId: expect.any(String) }]);
    second.reply('sendMessage', ackFor(attempt));
    await advance();
    expect(handle.state).toBe('sent');
    expect(await handle.sent).toMatchObject({ threadId: 'dm_1', seq: 1, messageId: 'm-1' });
    expect(await store.load()).toEqual([]);
    expect(client.thread('dm_1').messages).toEqual([{ seq: 1, messageId: 'm-1', senderId: 'alice', clientMsgId: handle.clientMsgId, text: 'hi', sentAt: 1001 }]);

    // Receipts of the other member move it on; never backwards.
    second.receive({ type: 'receipt', threadId: 'dm_1', userId: 'bob', seq: 1, status: 'read' });
    second.receive({ type: 'receipt', threadId: 'dm_1', userId: 'bob', seq: 1, status: 'delivered' });
    expect(states).toEqual(['sent', 'read']);
    expect(first.sentOf('sendMessage').length + second.sentOf('sendMessage').length).toBe(2);
    client.close();
  });

  it('sends in order, one at a time, and takes a late ack of an attempt it gave up on', async () => {
    const client = fakeClient({ ackTimeoutMs: 5_000, sendRetry: { initialDelayMs: 1_000 }, random: scriptedRandom([0.3]) });
    const socket = await connected(client);
    const one = client.send({ threadId: 'dm_1', text: 'one' });
    const two = client.send({ threadId: 'dm_1', text: 'two' });
    await advance();
    expect(socket.sentOf('sendMessage').map((frame) => frame.text)).toEqual(['one']);
    await advance(5_000);
    // No ack in time: wait 300 ms (jitter 0.3 of 1 s), then the same message again.
    await advance(300);
    const attempts = socket.sentOf('sendMessage');
    expect(attempts.map((frame) => frame.clientMsgId)).toEqual([one.clientMsgId, one.clientMsgId]);
    // The first attempt's ack arrives late, under its own reqId.
    socket.receive({ ...ackFor(attempts[0]), reqId: attempts[0].reqId });
    await advance();
    expect(one.state).toBe('sent');
    expect(socket.sentOf('sendMessage').map((frame) => frame.text)).toEqual(['one', 'one', 'two']);
    socket.reply('sendMessage', ackFor(socket.sentOf('sendMessage')[2], 2));
    await advance();
    expect(two.seq).toBe(2);
    client.close();
  });

  it('sends a message queued the moment the one before it is acked', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const first = client.send({ to: 'bob', text: 'one' });
    await advance();
    socket.reply('sendMessage', ackFor(socket.sentOf('sendMessage')[0]));
    await first.sent;
    client.send({ to: 'bob', text: 'two' });
    await advance();
    expect(socket.sentOf('sendMessage').map((frame) => frame.text)).toEqual(['one', 'two']);
    client.close();
  });

  it('backs off on rate_limited and fails at once on a refusal no retry can change', async () => {
    const client = fakeClient({ sendRetry: { initialDelayMs: 1_000 }, random: scriptedRandom([0.5, 0.5]) });
    const socket = await connected(client);
    const limited = client.send({ to: 'bob', text: 'fast' });
    await advance();
    socket.reply('sendMessage', { type: 'error', code: 'rate_limited', message: 'slow down' });
    await advance(499);
    expect(socket.sentOf('sendMessage')).toHaveLength(1);
    await advance(1);
    socket.reply('sendMessage', { type: 'error', code: 'rate_limited', message: 'slow down' });
    // Second wait: 0.5 of 2 s.
    await advance(999);
    expect(socket.sentOf('sendMessage')).toHaveLength(2);
    await advance(1);
    expect(socket.sentOf('sendMessage').map((frame) => frame.clientMsgId)).toEqual(Array(3).fill(limited.clientMsgId));
    socket.reply('sendMessage', ackFor(socket.sentOf('sendMessage')[2]));
    await advance();
    expect(limited.state).toBe('sent');

    const refused = client.send({ threadId: 'g_x', text: 'let me in' });
    await advance();
    socket.reply('sendMessage', { type: 'error', code: 'forbidden', message: 'you are not a member of this thread' });
    await expect(refused.sent).rejects.toMatchObject({ code: 'forbidden' });
    expect(refused.state).toBe('failed');
    expect(refused.error).toEqual({ code: 'forbidden', message: 'you are not a member of this thread' });
    client.close();
  });

  it("waits at least the server's retryAfterMs before resending after rate_limited", async () => {
    const client = fakeClient({ sendRetry: { initialDelayMs: 1_000 }, random: scriptedRandom([0.5]) });
    const socket = await connected(client);
    const limited = client.send({ to: 'bob', text: 'over budget' });
    await advance();
    socket.reply('sendMessage', { type: 'error', code: 'rate_limited', message: 'slow down', retryAfterMs: 4_000 });
    // The backoff alone would resend after 500 ms; the budget has room only after 4 s.
    await advance(3_999);
    expect(socket.sentOf('sendMessage')).toHaveLength(1);
    await advance(1);
    expect(socket.sentOf('sendMessage')).toHaveLength(2);
    socket.reply('sendMessage', ackFor(socket.sentOf('sendMessage')[1]));
    await advance();
    expect(limited.state).toBe('sent');
    client.close();
  });

  it('hands retryAfterMs to the caller of a request refused as rate_limited', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const listing = client.listThreads();
    await advance();
    socket.reply('listThreads', { type: 'error', code: 'rate_limited', message: 'slow down', retryAfterMs: 1_500 });
    await expect(listing).rejects.toMatchObject({ name: 'ProtocolError', code: 'rate_limited', retryAfterMs: 1_500 });
    client.close();
  });

  it('refuses a message the server would refuse before it is queued', () => {
    const client = fakeClient();
    expect(() => client.send({ to: 'bob', text: '' })).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => client.send({ to: 'bob', text: 'x'.repeat(4001) })).toThrow('text must be 1-4000 characters');
    expect(client.pendingMessages()).toEqual([]);
  });

  it('survives a reload through its store: the next client sends what was not acked, with the same clientMsgId', async () => {
    const store = new MemoryOutboxStore();
    const before = fakeClient({ outboxStore: store });
    const socket = await connected(before);
    const handle = before.send({ to: 'bob', text: 'still there?' });
    await advance();
    expect(socket.sentOf('sendMessage')).toHaveLength(1);
    before.close();

    const after = fakeClient({ outboxStore: store });
    const next = await connected(after);
    await advance();
    expect(after.pendingMessages().map((pending) => pending.clientMsgId)).toEqual([handle.clientMsgId]);
    expect(next.sentOf('sendMessage')).toEqual([expect.objectContaining({ clientMsgId: handle.clientMsgId, text: 'still there?' })]);
    next.reply('sendMessage', ackFor(next.sentOf('sendMessage')[0]));
    await advance();
    expect(after.pendingMessages()).toEqual([]);
    expect(await store.load()).toEqual([]);
    after.close();
  });
});
