import type { MessageEvent, TypingEvent, UserPresence } from '../src';
import { advance, connected, fakeClient, FakeSocket, resetSockets } from './fake-socket';

beforeEach(() => {
  jest.useFakeTimers();
  resetSockets();
});
afterEach(() => jest.useRealTimers());

const message = (seq: number, senderId = 'bob') => ({ seq, messageId: `m-${seq}`, senderId, clientMsgId: `c-${seq}`, text: `text ${seq}`, sentAt: 1000 + seq });
const live = (seq: number, threadId = 't1') => ({ type: 'message', threadId, ...message(seq) });
const listing = (threadId: string, lastSeq: number, readSeq = 0) => ({ threadId, kind: 'dm', members: ['alice', 'bob'], lastSeq, deliveredSeq: readSeq, readSeq });

describe('threads', () => {
  it('fills a gap with getMessages afterSeq when a message skips ahead, then acks delivery', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const listed = client.listThreads();
    await advance();
    socket.reply('listThreads', { type: 'threads', threads: [listing('t1', 0)] });
    await listed;
    socket.receive(live(1));
    await advance(300);
    expect(socket.sentOf('ack')).toEqual([expect.objectContaining({ threadId: 't1', seq: 1, status: 'delivered' })]);
    socket.receive(live(4));
    await advance();
    expect(socket.sentOf('getMessages')).toEqual([expect.objectContaining({ threadId: 't1', afterSeq: 1, limit: 100 })]);
    // No delivered ack past a hole.
    expect(socket.sentOf('ack')).toHaveLength(1);
    socket.reply('getMessages', { type: 'messages', threadId: 't1', messages: [message(2), message(3), message(4)], hasMore: false });
    await advance(300);
    expect(client.thread('t1').messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(socket.sentOf('ack').at(-1)).toMatchObject({ seq: 4, status: 'delivered' });
    client.close();
  });

  it('drops duplicates by messageId and tells about each message once', async () => {
    const client = fakeClient();
    const events: MessageEvent[] = [];
    client.on('message', (event) => events.push(event));
    const socket = await connected(client);
    socket.receive(live(2));
    socket.receive(live(1));
    socket.receive(live(2));
    expect(client.thread('t1').messages.map((m) => m.messageId)).toEqual(['m-1', 'm-2']);
    expect(events.map((event) => event.message.seq)).toEqual([2, 1]);
    client.close();
  });

  it('catches up every thread with news after a reconnect, and re-subscribes presence', async () => {
    const client = fakeClient();
    const presence: UserPresence[] = [];
    client.on('presence', (user) => presence.push(user));
    const first = await connected(client);
    const listed = client.listThreads();
    await advance();
    first.reply('listThreads', { type: 'threads', threads: [listing('t1', 1), listing('t2', 5, 5)] });
    await listed;
    first.receive(live(1, 't1'));
    const watching = client.watch(['bob']);
    await advance();
    first.reply('subscribePresence', { type: 'presence', users: [{ userId: 'bob', status: 'online' }] });
    await watching;

    first.cut();
    await advance(1000);
    const second = FakeSocket.latest();
    second.open();
    await advance();
    expect(second.sentOf('subscribePresence')).toEqual([expect.objectContaining({ userIds: ['bob'] })]);
    second.reply('subscribePresence', { type: 'presence', users: [{ userId: 'bob', status: 'offline', lastSeen: 5000 }] });
    expect(client.presenceOf('bob')).toEqual({ userId: 'bob', status: 'offline', lastSeen: 5000 });
    expect(presence.map((user) => user.status)).toEqual(['online', 'offline']);

    // t1 has news after its loaded messages; t3 is new, so the next page may hold more news; t2 has none.
    second.reply('listThreads', { type: 'threads', threads: [listing('t1', 3), listing('t3', 1)], cursor: 'page2' });
    await advance();
    expect(second.sentOf('getMessages')).toEqual([expect.objectContaining({ threadId: 't1', afterSeq: 1, limit: 100 })]);
    second.reply('getMessages', { type: 'messages', threadId: 't1', messages: [message(2), message(3)], hasMore: false });
    await advance();
    expect(second.sentOf('getMessages').at(-1)).toEqual({ action: 'getMessages', reqId: expect.any(String), threadId: 't3', limit: 50 });
    second.reply('getMessages', { type: 'messages', threadId: 't3', messages: [message(1)], hasMore: false });
    await advance();
    second.reply('listThreads', { type: 'threads', threads: [listing('t2', 5, 5)], cursor: 'page3' });
    await advance();
    expect(second.sentOf('listThreads').map((frame) => frame.cursor)).toEqual([undefined, 'page2']);
    expect(second.sentOf('getMessages')).toHaveLength(2);
    expect(client.thread('t1').messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(client.thread('t3').messages.map((m) => m.seq)).toEqual([1]);
    expect(client.thread('t1').unreadCount).toBe(3);
    expect(client.thread('t3').unreadCount).toBe(1);
    client.close();
  });

  it('catches up a thread it knew without loaded messages from the lastSeq it knew', async () => {
    const client = fakeClient();
    const first = await connected(client);
    const listed = client.listThreads();
    await advance();
    first.reply('listThreads', { type: 'threads', threads: [listing('t1', 2)] });
    await listed;
    first.cut();
    await advance(1000);
    const second = FakeSocket.latest();
    second.open();
    await advance();
    second.reply('listThreads', { type: 'threads', threads: [listing('t1', 4)] });
    await advance();
    expect(second.sentOf('getMessages')).toEqual([expect.objectContaining({ threadId: 't1', afterSeq: 2 })]);
    client.close();
  });

  it('scrolls back with beforeSeq and counts unread from lastSeq and readSeq', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    socket.receive(live(7));
    const older = client.thread('t1').loadOlder(2);
    await advance();
    expect(socket.sentOf('getMessages')).toEqual([expect.objectContaining({ threadId: 't1', beforeSeq: 7, limit: 2 })]);
    socket.reply('getMessages', { type: 'messages', threadId: 't1', messages: [message(5), message(6)], hasMore: true });
    expect((await older).map((m) => m.seq)).toEqual([5, 6]);
    expect(client.thread('t1').unreadCount).toBe(7);
    client.markRead('t1', 6);
    expect(socket.sentOf('ack').at(-1)).toMatchObject({ threadId: 't1', seq: 6, status: 'read' });
    expect(client.thread('t1').unreadCount).toBe(1);
    client.close();
  });

  it('scrolls back page after page when asked again before the first page came', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    socket.receive(live(7));
    const first = client.thread('t1').loadOlder(3);
    const second = client.thread('t1').loadOlder(3);
    await advance();
    expect(socket.sentOf('getMessages')).toEqual([expect.objectContaining({ beforeSeq: 7, limit: 3 })]);
    socket.reply('getMessages', { type: 'messages', threadId: 't1', messages: [message(4), message(5), message(6)], hasMore: true });
    await advance();
    expect(socket.sentOf('getMessages').at(-1)).toMatchObject({ beforeSeq: 4, limit: 3 });
    socket.reply('getMessages', { type: 'messages', threadId: 't1', messages: [message(1), message(2), message(3)], hasMore: false });
    expect((await first).map((m) => m.seq)).toEqual([4, 5, 6]);
    expect((await second).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(client.thread('t1').hasOlder).toBe(false);
    client.close();
  });

  it('sends a read receipt made offline once it is back', async () => {
    const client = fakeClient();
    const first = await connected(client);
    first.receive(live(3));
    first.cut();
    client.markRead('t1', 3);
    await advance(1000);
    const second = FakeSocket.latest();
    second.open();
    await advance();
    expect(second.sentOf('ack')).toEqual([expect.objectContaining({ threadId: 't1', seq: 3, status: 'read' })]);
    client.close();
  });
});

describe('typing', () => {
  it('sends one signal a second at most, and stops by itself', async () => {
    const client = fakeClient({ typingStopMs: 3_000, keepAliveMs: 3600_000 });
    const socket = await connected(client);
    const states = () => socket.sentOf('typing').map((frame) => frame.state);
    client.typing('t1');
    await advance(500);
    client.typing('t1');
    expect(states()).toEqual(['start']);
    await advance(500);
    client.typing('t1');
    expect(states()).toEqual(['start', 'start']);
    await advance(2_999);
    expect(states()).toEqual(['start', 'start']);
    await advance(1);
    expect(states()).toEqual(['start', 'start', 'stop']);
    client.close();
  });

  it('lets others’ indicators expire, and ends them with their message', async () => {
    const client = fakeClient({ typingExpiryMs: 5_000 });
    const events: TypingEvent[] = [];
    client.on('typing', (event) => events.push(event));
    const socket = await connected(client);
    socket.receive({ type: 'typing', threadId: 't1', userId: 'bob', state: 'start' });
    await advance(4_000);
    socket.receive({ type: 'typing', threadId: 't1', userId: 'bob', state: 'start' });
    await advance(4_999);
    expect(client.typingIn('t1')).toEqual(['bob']);
    await advance(1);
    expect(client.typingIn('t1')).toEqual([]);
    socket.receive({ type: 'typing', threadId: 't1', userId: 'bob', state: 'start' });
    socket.receive(live(1));
    expect(events.map((event) => event.typing)).toEqual([true, false, true, false]);
    client.close();
  });
});

describe('settings', () => {
  it('reads and changes the user’s settings, sending only what changes', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const read = client.getSettings();
    await advance();
    const defaults = { activeStatus: true, pushPreviews: true, presenceAudience: 'everyone', requestNotifications: true };
    socket.reply('getSettings', { type: 'settings', ...defaults });
    expect(await read).toEqual(defaults);

    const changed = client.updateSettings({ pushPreviews: false });
    await advance();
    expect(socket.reply('updateSettings', { type: 'settings', ...defaults, pushPreviews: false })).toEqual({
      action: 'updateSettings',
      reqId: expect.any(String),
      pushPreviews: false,
    });
    expect(await changed).toEqual({ ...defaults, pushPreviews: false });
  });
});

describe('presence of users who show hidden', () => {
  it('asks again about a watched user who showed hidden once a message shows a shared thread, at most once a minute', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const watching = client.watch(['bob', 'carol']);
    await advance();
    socket.reply('subscribePresence', { type: 'presence', users: [{ userId: 'bob', status: 'offline' }, { userId: 'carol', status: 'offline', lastSeen: 5 }] });
    await watching;

    socket.receive(live(1));
    await advance();
    expect(socket.sentOf('subscribePresence').map((frame) => frame.userIds)).toEqual([['bob', 'carol'], ['bob']]);
    socket.reply('subscribePresence', { type: 'presence', users: [{ userId: 'bob', status: 'online' }] });
    expect(client.presenceOf('bob')).toEqual({ userId: 'bob', status: 'online' });

    // Seen now, and carol is merely offline: nothing more to ask, however many messages come.
    socket.receive(live(2));
    socket.receive({ type: 'thread', threadId: 'g1', kind: 'group', members: ['alice', 'bob', 'carol'], admins: ['alice'] });
    await advance();
    expect(socket.sentOf('subscribePresence')).toHaveLength(2);
  });
});
