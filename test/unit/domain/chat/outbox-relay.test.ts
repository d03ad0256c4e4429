import { leaseMs, relayStagedMessages, type RelayObserver } from '../../../../lambdas/domain/chat/outbox-relay';
import type { DeliveryReport, StagedKey } from '../../../../lambdas/domain/chat/ports';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import { InMemoryConnections, InMemoryThreadStore, RecordingNotifier, RecordingPushRequester, RecordingQueue } from '../../../support/in-memory-chat';
import { InMemoryStagedMessages } from '../../../support/in-memory-outbox';

const NOW = 1_764_000_010_000;

const message = (threadId: string, seq: number, sentAt = NOW - 5000): StoredMessage => ({
  threadId,
  seq,
  messageId: `${threadId}-m${seq}`,
  senderId: 'alice',
  clientMsgId: `c${seq}`,
  text: `text ${seq}`,
  sentAt,
});

class RecordingRelayObserver implements RelayObserver {
  readonly relayed: StoredMessage[] = [];
  readonly reports: DeliveryReport[] = [];
  delivering(relayed: StoredMessage): void {
    this.relayed.push(relayed);
  }
  delivered(report: DeliveryReport): void {
    this.reports.push(report);
  }
  pushFailed(): void {}
  markFailed(): void {}
}

/** dm (alice, bob; bob online), g1 (alice and 99 others, offline); each message staged as its commit would. */
function setup(staged: StoredMessage[], options: { queue?: RecordingQueue } = {}) {
  const threads = new InMemoryThreadStore();
  threads.addThread('dm', 'dm', ['alice', 'bob']);
  threads.addThread('g1', 'group', ['alice', ...Array.from({ length: 99 }, (_, index) => `u${index}`)]);
  for (const stagedMessage of staged) threads.staged.set(stagedMessage.threadId, [...(threads.staged.get(stagedMessage.threadId) ?? []), stagedMessage]);
  const outbox = new InMemoryStagedMessages(threads);
  const journal: string[] = [];
  const sleeps: number[] = [];
  const queue = options.queue ?? new RecordingQueue();
  const enqueueAll = queue.enqueueAll.bind(queue);
  queue.enqueueAll = async (messages) => (journal.push(`queue ${messages.map((m) => `${m.threadId}#${m.seq}`).join(' ')}`), enqueueAll(messages));
  const notifier = new RecordingNotifier();
  const post = notifier.post.bind(notifier);
  notifier.post = async (connectionId, frame) => (journal.push(`post ${connectionId} ${(frame as { seq: number }).seq}`), post(connectionId, frame));
  const ports = {
    threads,
    staged: outbox,
    queue,
    connections: new InMemoryConnections([{ userId: 'bob', connectionId: 'bob-1' }]),
    notifier,
    push: new RecordingPushRequester(),
    observer: new RecordingRelayObserver(),
    clock: () => NOW + sleeps.reduce((sum, ms) => sum + ms, 0),
    sleep: async (ms: number) => {
      journal.push(`sleep ${ms}`);
      sleeps.push(ms);
    },
  };
  const relay = (messages: StoredMessage[], marked: StagedKey[] = []) => relayStagedMessages({ messages, marked, ...ports });
  return { ports, threads, outbox, queue, journal, sleeps, notifier, relay };
}

describe('the outbox relay', () => {
  it('leases a message to its send for a second, and 4 ms more per member', () => {
    expect(leaseMs(2)).toBe(1008);
    expect(leaseMs(1024)).toBe(5096);
  });

  it('hands every message to history in one call, and moves each thread’s rows once, to its newest message', async () => {
    const messages = [message('dm', 1), message('dm', 3), message('dm', 2), message('g1', 7)];
    const { relay, queue, threads } = setup(messages);
    const report = await relay(messages, messages);
    expect(report).toEqual({ queued: 4, delivered: 0, failures: [] });
    expect(queue.messages).toEqual(messages);
    expect(threads.receipts.get('bob/dm')).toMatchObject({ lastSeq: 3, lastActivity: messages[1].sentAt });
    expect(threads.receipts.get('u5/g1')).toMatchObject({ lastSeq: 7 });
  });

  it('waits for nothing and reads nothing back for messages whose marks came in the same batch', async () => {
    const fresh = message('dm', 1, NOW - 10);
    const { relay, outbox, sleeps, notifier } = setup([fresh]);
    await relay([fresh], [{ threadId: 'dm', seq: 1 }]);
    expect(sleeps).toEqual([]);
    expect(outbox.calls).toEqual([]);
    expect(notifier.attempts).toEqual([]);
  });

  it('waits out the lease of an unmarked message, reads it back, delivers and pushes it, marks it, and only then hands it to history', async () => {
    const fresh = message('dm', 1, NOW - 300);
    const { relay, outbox, journal, ports, notifier } = setup([fresh]);
    const report = await relay([fresh]);
    expect(journal[0]).toBe(`sleep ${leaseMs(2) - 300}`);
    expect(outbox.calls).toEqual(['undelivered dm#1', 'mark dm#1']);
    expect(notifier.posts).toEqual([{ connectionId: 'bob-1', frame: expect.objectContaining({ type: 'message', seq: 1, messageId: 'dm-m1', text: 'text 1' }) }]);
    expect(journal.indexOf('post bob-1 1')).toBeLessThan(journal.indexOf('queue dm#1'));
    expect(ports.observer.relayed).toEqual([fresh]);
    expect(outbox.isMarked(fresh)).toBe(true);
    expect(report).toEqual({ queued: 1, delivered: 1, failures: [] });
  });

  it('pushes the offline members of a message it relays', async () => {
    const groupMessage = message('g1', 4);
    const { relay, ports } = setup([groupMessage]);
    await relay([groupMessage]);
    expect(ports.push.requests).toEqual([expect.objectContaining({ threadId: 'g1', seq: 4, recipients: expect.arrayContaining(['u0', 'u98']) })]);
    expect(ports.push.requests[0].recipients).toHaveLength(99);
  });

  it('does not wait when the lease has already run out, and scales the lease with the members', async () => {
    const old = message('dm', 1, NOW - 2000);
    const groupMessage = message('g1', 1, NOW - 200);
    const { relay, sleeps } = setup([old, groupMessage]);
    await relay([old, groupMessage]);
    expect(sleeps).toEqual([leaseMs(100) - 200]);
  });

  it('delivers nothing when the send marked its message during the lease, or history already released it', async () => {
    const marked = message('dm', 1, NOW - 100);
    const released = message('dm', 2, NOW - 100);
    const { relay, outbox, notifier, ports } = setup([marked, released]);
    ports.sleep = async () => {
      // Meanwhile the send finishes message 1, and message 2 (delivered by an earlier attempt) reaches history.
      await outbox.markDelivered(marked);
      await outbox.release([released]);
    };
    const report = await relay([marked, released]);
    expect(notifier.attempts).toEqual([]);
    expect(report).toMatchObject({ queued: 2, delivered: 0 });
  });

  it('delivers nothing to a member removed from the group during the lease', async () => {
    const groupMessage = message('g1', 4, NOW - 100);
    const { relay, threads, notifier, ports } = setup([groupMessage]);
    await threads.addMembers('g1', ['bob'], 1024, NOW);
    ports.sleep = async () => {
      await threads.removeMember('g1', { userId: 'bob', role: 'member' });
    };
    await relay([groupMessage]);
    expect(notifier.attempts).toEqual([]);
  });

  it('under sinceJoined, delivers and pushes nothing to a member added after the message was committed; under all, it does', async () => {
    for (const setting of ['sinceJoined', 'all'] as const) {
      const committedBefore = message('g1', 4);
      const { relay, ports, threads, notifier } = setup([committedBefore]);
      await threads.setHistoryForNewMembers('g1', setting);
      // carol (online) and dave (offline) join during the lease, where the thread stood at seq 4.
      await threads.addMembers('g1', ['carol', 'dave'], 1024, NOW, { requests: [], requestedBy: 'alice', joinedSeq: 4 });
      ports.connections = new InMemoryConnections([{ userId: 'carol', connectionId: 'carol-1' }]);
      await relay([committedBefore]);
      const told = setting === 'all';
      expect(notifier.posts.some((post) => post.connectionId === 'carol-1')).toBe(told);
      expect(ports.push.requests[0]!.recipients.includes('dave')).toBe(told);
      expect(ports.push.requests[0]!.recipients).toContain('u0');
    }
  });

  it('under sinceJoined, delivers to a member who joined before the message, and reads no head when nobody joined after it', async () => {
    const after = message('g1', 5);
    const { relay, ports, threads, notifier } = setup([after]);
    await threads.setHistoryForNewMembers('g1', 'sinceJoined');
    await threads.addMembers('g1', ['carol'], 1024, NOW, { requests: [], requestedBy: 'alice', joinedSeq: 4 });
    ports.connections = new InMemoryConnections([{ userId: 'carol', connectionId: 'carol-1' }]);
    const heads = jest.spyOn(threads, 'head');
    await relay([after]);
    expect(notifier.posts.map((post) => post.connectionId)).toEqual(['carol-1']);
    expect(heads).not.toHaveBeenCalled();
  });

  it('fails only the thread it could not relay, and hands none of that thread’s messages to history', async () => {
    const messages = [message('dm', 1), message('g1', 1), message('g1', 2)];
    const { relay, threads, queue } = setup(messages);
    const membersOf = threads.membersOf.bind(threads);
    threads.membersOf = async (threadId) => {
      if (threadId === 'g1') throw new Error('throttled');
      return membersOf(threadId);
    };
    const report = await relay(messages, messages);
    expect(report.failures).toEqual([{ threadId: 'g1', error: new Error('throttled') }]);
    expect(queue.messages).toEqual([messages[0]]);
  });

  it('fails the threads whose messages the queue did not take', async () => {
    const messages = [message('dm', 1), message('g1', 1)];
    const { relay } = setup(messages, { queue: new RecordingQueue((refused) => refused.threadId === 'g1') });
    const report = await relay(messages, messages);
    expect(report.failures.map(({ threadId }) => threadId)).toEqual(['g1']);
    expect(report.queued).toBe(1);
  });
});
