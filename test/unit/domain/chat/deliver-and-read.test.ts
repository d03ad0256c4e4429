import { deliverToUsers, messageFrame } from '../../../../lambdas/domain/chat/deliver-message';
import { getMessages } from '../../../../lambdas/domain/chat/get-messages';
import type { LiveConnection } from '../../../../lambdas/domain/chat/ports';
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

  it('looks up every user once, all in one call, before posting', async () => {
    const directory = connections();
    const notifier = new RecordingNotifier();
    await deliverToUsers({ frame: messageFrame(message(3)), users: ['bob', 'carol', 'bob', 'dave'], connections: directory, notifier });
    // One call: a directory that batches reads the users' lists together (one BatchGetItem per 100).
    expect(directory.lookups).toEqual([['bob', 'carol', 'dave']]);
  });

  it('fails the delivery before posting anything when the lookup fails', async () => {
    const notifier = new RecordingNotifier();
    const users = Array.from({ length: 40 }, (_, index) => `u${index}`);
    const directory = new (class extends InMemoryConnections {
      override async connectionsOf(): Promise<Map<string, LiveConnection[]>> {
        throw new Error('DynamoDB unavailable');
      }
    })(users.map((userId) => ({ userId, connectionId: `${userId}-1` })));
    const offline: string[][] = [];
    await expect(deliverToUsers({ frame: messageFrame(message(4)), users, connections: directory, notifier, onLookedUp: (users) => offline.push([...users]) })).rejects.toThrow(
      'DynamoDB unavailable',
    );
    expect(notifier.attempts).toEqual([]);
    // Nobody is taken for offline (and pushed) on a lookup that never answered.
    expect(offline).toEqual([]);
  });

  it('counts a user whose connection the gateway reports gone as unreachable even when forgetting it fails', async () => {
    const directory = new (class extends InMemoryConnections {
      override async forget(): Promise<void> {
        throw new Error('DynamoDB unavailable');
      }
    })([{ userId: 'carol', connectionId: 'carol-gone' }]);
    const report = await deliverToUsers({ frame: messageFrame(message(5)), users: ['carol'], connections: directory, notifier: new RecordingNotifier(() => 'gone') });
    // Unreachable: pushed. (Counted as reached, she would get neither the frame nor a push.)
    expect(report).toEqual({ delivered: 0, gone: 1, failed: 0, offline: [], unreachable: ['carol'] });
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
