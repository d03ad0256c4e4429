import { advance, connected, fakeClient, type FakeSocket, resetSockets } from './fake-socket';

beforeEach(() => {
  jest.useFakeTimers();
  resetSockets();
});
afterEach(() => jest.useRealTimers());

const live = (seq: number, threadId = 't1') => ({ type: 'message', threadId, seq, messageId: `m-${seq}`, senderId: 'bob', clientMsgId: `c-${seq}`, text: `text ${seq}`, sentAt: 1000 + seq });
const listing = (threadId: string, lastSeq: number, request?: true) => ({ threadId, kind: 'dm', members: ['alice', 'bob'], lastSeq, deliveredSeq: 0, readSeq: 0, ...(request ? { request } : {}) });

async function listed(client: ReturnType<typeof fakeClient>, socket: FakeSocket, threads: object[]) {
  const page = client.listThreads();
  await advance();
  socket.reply('listThreads', { type: 'threads', threads });
  await page;
}

describe('automatic delivered-acks', () => {
  // Each ack tells every other member and is paid from the user's acks budget: one per message
  // in a busy group cost a member reading it hundreds of units a second.
  it('acks a burst of messages once, for the newest, after the delay; a read receipt goes at once', async () => {
    const client = fakeClient({ deliveredAckDelayMs: 300 });
    const socket = await connected(client);
    await listed(client, socket, [listing('t1', 0)]);
    for (const seq of [1, 2, 3]) socket.receive(live(seq));
    await advance(299);
    expect(socket.sentOf('ack')).toEqual([]);
    socket.receive(live(4));
    await advance(1);
    expect(socket.sentOf('ack')).toEqual([expect.objectContaining({ threadId: 't1', seq: 4, status: 'delivered' })]);

    client.thread('t1').markRead(4);
    expect(socket.sentOf('ack').at(-1)).toMatchObject({ seq: 4, status: 'read' });
    socket.receive(live(5));
    await advance(300);
    expect(socket.sentOf('ack').map((ack) => [ack.seq, ack.status])).toEqual([
      [4, 'delivered'],
      [4, 'read'],
      [5, 'delivered'],
    ]);
    client.close();
  });

  // A receipt in a stranger's request tells them when the user is online.
  it('never acks a message request until the user accepts it, then acks what arrived', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    await listed(client, socket, [listing('t1', 1, true)]);
    socket.receive(live(2));
    socket.receive(live(3));
    await advance(5_000);
    expect(socket.sentOf('ack')).toEqual([]);

    const accepted = client.acceptRequest('t1');
    await advance();
    socket.reply('acceptRequest', { type: 'requestAccepted', threadId: 't1' });
    await accepted;
    expect(socket.sentOf('ack')).toEqual([expect.objectContaining({ threadId: 't1', seq: 3, status: 'delivered' })]);
    client.close();
  });

  it('asks listThreads whether a thread new to it is a request before acking it', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    socket.receive(live(1, 'stranger'));
    socket.receive(live(1, 'friend'));
    await advance(300);
    // One page answers for both.
    expect(socket.sentOf('listThreads')).toHaveLength(1);
    expect(socket.sentOf('ack')).toEqual([]);
    socket.reply('listThreads', { type: 'threads', threads: [listing('stranger', 1, true), listing('friend', 1)] });
    await advance();
    expect(socket.sentOf('ack')).toEqual([expect.objectContaining({ threadId: 'friend', seq: 1, status: 'delivered' })]);
    client.close();
  });

  it('acks a thread the user wrote into, since writing accepts it', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const handle = client.send({ threadId: 't1', text: 'hello' });
    await advance();
    const frame = socket.reply('sendMessage', { type: 'ack', status: 'sent', clientMsgId: handle.clientMsgId, threadId: 't1', seq: 1, messageId: 'm-1', sentAt: 1001 });
    expect(frame).toMatchObject({ threadId: 't1' });
    await handle.sent;
    socket.receive(live(2));
    await advance(300);
    expect(socket.sentOf('listThreads')).toEqual([]);
    expect(socket.sentOf('ack')).toEqual([expect.objectContaining({ threadId: 't1', seq: 2, status: 'delivered' })]);
    client.close();
  });
});
