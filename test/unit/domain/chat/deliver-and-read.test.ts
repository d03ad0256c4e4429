import { deliverToUsers, messageFrame } from '../../../../lambdas/domain/chat/deliver-message';
import { getMessages } from '../../../../lambdas/domain/chat/get-messages';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import { InMemoryConnections, InMemoryHistory, InMemoryPurse, InMemoryThreadStore, RecordingNotifier } from '../../../support/in-memory-chat';

const message = (seq: number, threadId = 't1'): StoredMessage => ({
  threadId,
  seq,
  messageId: `m${seq}`,
  senderId: 'alice',
  clientMsgId: `c${seq}`,
  text: `text ${seq}`,
  sentAt: 1000 + seq,
});

describe('deliverToUsers', () => {
  const connections = () =>
    new InMemoryConnections([
      { userId: 'alice', connectionId: 'alice-phone' },
      { userId: 'alice', connectionId: 'alice-laptop' },
      { userId: 'bob', connectionId: 'bob-1' },
      { userId: 'carol', connectionId: 'carol-gone' },
      { userId: 'dave', connectionId: 'dave-1' },
    ]);

  it('posts the message frame to every connection of every member but the sending one', async () => {
    const notifier = new RecordingNotifier();
    const report = await deliverToUsers({ frame: messageFrame(message(7)), users: ['alice', 'bob', 'carol'], fromConnectionId: 'alice-phone', connections: connections(), notifier: notifier });
    expect(notifier.posts.map((post) => post.connectionId).sort()).toEqual(['alice-laptop', 'bob-1', 'carol-gone']);
    expect(notifier.posts[0].frame).toEqual({
      type: 'message',
      threadId: 't1',
      seq: 7,
      messageId: 'm7',
      senderId: 'alice',
      clientMsgId: 'c7',
      text: 'text 7',
      sentAt: 1007,
    });
    expect(report).toEqual({ delivered: 3, gone: 0, failed: 0, offline: [], unreachable: [] });
  });

  it('posts to every connection of every user when no connection started the work', async () => {
    const notifier = new RecordingNotifier();
    await deliverToUsers({ frame: { type: 'receipt' }, users: ['alice', 'bob'], connections: connections(), notifier });
    expect(notifier.posts.map((post) => post.connectionId).sort()).toEqual(['alice-laptop', 'alice-phone', 'bob-1']);
  });

  it('names the users with no live connection, for push', async () => {
    const report = await deliverToUsers({ frame: messageFrame(message(2)), users: ['alice', 'bob', 'erin', 'frank'], fromConnectionId: 'alice-phone', connections: connections(), notifier: new RecordingNotifier() });
    expect(report.offline.sort()).toEqual(['erin', 'frank']);
  });

  it('posts to the users already looked up while the others are still being looked up', async () => {
    // The last lookup answers only once the first user's connection has been posted to: with the
    // posts waiting for every lookup, it would never answer.
    const notifier = new RecordingNotifier();
    let firstPosted!: () => void;
    const firstPostSeen = new Promise<void>((resolve) => (firstPosted = resolve));
    const directory = new (class extends InMemoryConnections {
      override async liveConnectionsOf(userId: string) {
        if (userId === 'dave') await firstPostSeen;
        return super.liveConnectionsOf(userId);
      }
    })([
      { userId: 'bob', connectionId: 'bob-1' },
      { userId: 'dave', connectionId: 'dave-1' },
    ]);
    const posting = new (class extends RecordingNotifier {
      override async post(connectionId: string, frame: object) {
        const outcome = await notifier.post(connectionId, frame);
        if (connectionId === 'bob-1') firstPosted();
        return outcome;
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the posts waited for every lookup')), 1000)));
    const report = await Promise.race([deliverToUsers({ frame: messageFrame(message(3)), users: ['bob', 'dave'], connections: directory, notifier: posting }), timeout]).finally(() => clearTimeout(timer));
    expect(report).toEqual({ delivered: 2, gone: 0, failed: 0, offline: [], unreachable: [] });
    expect(notifier.posts.map((post) => post.connectionId)).toEqual(['bob-1', 'dave-1']);
  });

  it('looks up no more users once a lookup failed, and fails the delivery after the posts already started', async () => {
    const notifier = new RecordingNotifier();
    const looked: string[] = [];
    // 40 members, more than the lookups in flight at once: the first fails once the second has answered.
    const users = Array.from({ length: 40 }, (_, index) => `u${index}`);
    const directory = new (class extends InMemoryConnections {
      override async liveConnectionsOf(userId: string) {
        looked.push(userId);
        await new Promise((resolve) => setImmediate(resolve));
        if (userId === 'u0') throw new Error('DynamoDB unavailable');
        return super.liveConnectionsOf(userId);
      }
    })(users.map((userId) => ({ userId, connectionId: `${userId}-1` })));
    await expect(deliverToUsers({ frame: messageFrame(message(4)), users, connections: directory, notifier })).rejects.toThrow('DynamoDB unavailable');
    // The delivery failed as the first lookup did; the lookups in flight beside it answer after.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    // The first 32 were in flight together; none of the 8 after them was looked up.
    expect(looked).toHaveLength(32);
    expect(notifier.attempts.length).toBeLessThanOrEqual(31);
  });

  it('forgets exactly the connections the gateway reports gone, and survives other failures', async () => {
    const directory = connections();
    const notifier = new RecordingNotifier((id) => (id === 'carol-gone' ? 'gone' : id === 'bob-1' ? 'error' : 'delivered'));
    const report = await deliverToUsers({ frame: messageFrame(message(1)), users: ['alice', 'bob', 'carol'], fromConnectionId: 'alice-phone', connections: directory, notifier: notifier });
    expect(directory.forgotten).toEqual([{ userId: 'carol', connectionId: 'carol-gone' }]);
    expect(report).toEqual({ delivered: 1, gone: 1, failed: 1, offline: [], unreachable: ['carol'] });
  });
});

describe('getMessages', () => {
  function store(lastSeq: number) {
    const threads = new InMemoryThreadStore();
    threads.addThread('t1', 'dm', ['alice', 'bob'], lastSeq);
    return threads;
  }

  it('returns the newest page in ascending seq, from history and, where history lags, from staging', async () => {
    const threads = store(5);
    threads.staged.set('t1', [message(4), message(5)]);
    const page = await getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', limit: 3, threads, history: new InMemoryHistory([1, 2, 3].map((seq) => message(seq))) });
    expect(page.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(page.hasMore).toBe(true);
  });

  it('pages forward after a seq and backward before one', async () => {
    const threads = store(10);
    const history = new InMemoryHistory(Array.from({ length: 10 }, (_, i) => message(i + 1)));
    const after = await getMessages({ purse: new InMemoryPurse(), userId: 'alice', threadId: 't1', afterSeq: 6, limit: 3, threads, history });
    expect(after.messages.map((m) => m.seq)).toEqual([7, 8, 9]);
    expect(after.hasMore).toBe(true);
    const last = await getMessages({ purse: new InMemoryPurse(), userId: 'alice', threadId: 't1', afterSeq: 9, limit: 50, threads, history });
    expect(last.messages.map((m) => m.seq)).toEqual([10]);
    expect(last.hasMore).toBe(false);
    const before = await getMessages({ purse: new InMemoryPurse(), userId: 'alice', threadId: 't1', beforeSeq: 3, limit: 50, threads, history });
    expect(before.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(before.hasMore).toBe(false);
  });

  it('returns an empty page past the end, and for a thread without messages', async () => {
    const history = new InMemoryHistory();
    expect(await getMessages({ purse: new InMemoryPurse(), userId: 'alice', threadId: 't1', afterSeq: 3, limit: 5, threads: store(3), history })).toEqual({ messages: [], hasMore: false });
    expect(await getMessages({ purse: new InMemoryPurse(), userId: 'alice', threadId: 't1', limit: 5, threads: store(0), history })).toEqual({ messages: [], hasMore: false });
  });

  it('refuses non-members and unknown threads', async () => {
    await expect(getMessages({ purse: new InMemoryPurse(), userId: 'mallory', threadId: 't1', limit: 5, threads: store(1), history: new InMemoryHistory() })).rejects.toMatchObject({ code: 'forbidden', message: 'you are not a member of this thread' });
    await expect(getMessages({ purse: new InMemoryPurse(), userId: 'alice', threadId: 'zz', limit: 5, threads: store(1), history: new InMemoryHistory() })).rejects.toMatchObject({ code: 'forbidden', message: 'you are not a member of this thread' });
  });
});

describe('getMessages while history is down', () => {
  const failingHistory = { range: async () => Promise.reject(new Error('NoHostAvailableError')) };

  it('serves the page from staged messages when they cover it', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('t1', 'dm', ['alice', 'bob'], 2);
    threads.staged.set('t1', [message(1), message(2)]);
    expect((await getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', limit: 10, threads: threads, history: failingHistory })).messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('fails when they do not', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('t1', 'dm', ['alice', 'bob'], 2);
    threads.staged.set('t1', [message(2)]);
    await expect(getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', limit: 10, threads: threads, history: failingHistory })).rejects.toThrow('NoHostAvailableError');
  });
});
