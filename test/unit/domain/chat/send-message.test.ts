import { deliverMessage } from '../../../../lambdas/domain/chat/deliver-message';
import { sendMessage } from '../../../../lambdas/domain/chat/send-message';
import type { LiveConnection } from '../../../../lambdas/domain/chat/ports';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import {
  InMemoryConnections,
  InMemoryPurse,
  InMemoryThreadStore,
  RecordingNotifier,
  RecordingPushRequester,
  RecordingSendObserver,
} from '../../../support/in-memory-chat';
import { InMemoryStagedMessages } from '../../../support/in-memory-outbox';

const SENT_AT = 1_764_000_000_000;

/** A group g1 of alice, bob and carol: alice on her phone (sending) and laptop, bob on one device, carol offline. */
function setup(options: { notifier?: RecordingNotifier; push?: RecordingPushRequester; live?: LiveConnection[] } = {}) {
  const threads = new InMemoryThreadStore();
  threads.addThread('g1', 'group', ['alice', 'bob', 'carol'], 4);
  const journal: string[] = [];
  const connections = new InMemoryConnections(
    options.live ?? [
      { userId: 'alice', connectionId: 'alice-phone' },
      { userId: 'alice', connectionId: 'alice-laptop' },
      { userId: 'bob', connectionId: 'bob-1' },
    ],
  );
  const notifier = options.notifier ?? new RecordingNotifier();
  // One journal of the calls that make up delivery, to check what comes before what.
  const lookUp = connections.connectionsOf.bind(connections);
  connections.connectionsOf = async (userIds) => (journal.push(`lookup ${userIds.join(' ')}`), lookUp(userIds));
  const post = notifier.post.bind(notifier);
  notifier.post = async (connectionId, frame) => (journal.push(`post ${(frame as { type: string }).type} ${connectionId}`), post(connectionId, frame));
  const members = threads.membersWithRoles.bind(threads);
  threads.membersWithRoles = async (threadId) => (journal.push('members'), members(threadId));
  const push = options.push ?? new RecordingPushRequester();
  const request = push.request.bind(push);
  push.request = (pushed) => (journal.push(`push ${pushed.recipients.join(' ')}`), request(pushed));
  const staged = new InMemoryStagedMessages(threads);
  const mark = staged.markDelivered.bind(staged);
  staged.markDelivered = async (key) => (journal.push(`mark ${key.threadId}#${key.seq}`), mark(key));
  const ports = {
    threads,
    staged,
    purse: new InMemoryPurse(),
    clock: () => SENT_AT,
    connections,
    notifier,
    push,
    observer: new RecordingSendObserver(),
  };
  const send = (clientMsgId = 'c1', text = 'hello') =>
    sendMessage({ reqId: 'r1', fromConnectionId: 'alice-phone', senderId: 'alice', clientMsgId, threadId: 'g1', text, ...ports });
  return { ports, journal, notifier, send };
}

const framesTo = (notifier: RecordingNotifier, connectionId: string) =>
  notifier.posts.filter((post) => post.connectionId === connectionId).map((post) => post.frame);

describe('sendMessage, from commit to delivery', () => {
  it('acks the sending connection before delivery starts, then delivers to every other connection of every member', async () => {
    const { ports, journal, notifier, send } = setup();

    const message = await send();
    expect(ports.observer.events.map((event) => event.event)).toEqual(['committed', 'acked', 'delivered']);

    expect(message).toMatchObject({ threadId: 'g1', seq: 5, senderId: 'alice', text: 'hello', sentAt: SENT_AT });
    expect(journal.slice(0, 2)).toEqual(['post ack alice-phone', 'members']);
    expect(framesTo(notifier, 'alice-phone')).toEqual([
      { type: 'ack', reqId: 'r1', status: 'sent', clientMsgId: 'c1', threadId: 'g1', seq: 5, messageId: message.messageId, sentAt: SENT_AT },
    ]);
    const delivered = { type: 'message', threadId: 'g1', seq: 5, messageId: message.messageId, senderId: 'alice', clientMsgId: 'c1', text: 'hello', sentAt: SENT_AT };
    expect(framesTo(notifier, 'alice-laptop')).toEqual([delivered]);
    expect(framesTo(notifier, 'bob-1')).toEqual([delivered]);
  });

  it('still delivers, and reports the failure, when the ack cannot be posted', async () => {
    const notifier = new RecordingNotifier((connectionId) => (connectionId === 'alice-phone' ? 'error' : 'delivered'));
    const { ports, send } = setup({ notifier });

    await send();

    expect(framesTo(notifier, 'bob-1')).toEqual([expect.objectContaining({ type: 'message', seq: 5 })]);
    expect(ports.observer.events.map((event) => event.event)).toEqual(['committed', 'ackFailed', 'delivered']);
    expect(ports.observer.events[2]).toMatchObject({ report: { delivered: 2, gone: 0, failed: 0 } });
  });

  it('marks the staged copy delivered once delivery and push are done, not before', async () => {
    const { ports, journal, send } = setup();
    const message = await send();
    expect(journal.at(-1)).toBe('mark g1#5');
    expect(journal.indexOf('push carol')).toBeLessThan(journal.indexOf('mark g1#5'));
    expect(journal.indexOf('post message bob-1')).toBeLessThan(journal.indexOf('mark g1#5'));
    expect(ports.staged.isMarked(message)).toBe(true);
  });

  it('leaves the copy unmarked when a post failed other than with gone, so that the relay delivers it again', async () => {
    const notifier = new RecordingNotifier((connectionId) => (connectionId === 'bob-1' ? 'error' : 'delivered'));
    const { ports, journal, send } = setup({ notifier });
    const message = await send();
    expect(ports.observer.events.find((event) => event.event === 'delivered')).toMatchObject({ report: { failed: 1 } });
    expect(journal.filter((entry) => entry.startsWith('mark'))).toEqual([]);
    expect(ports.staged.isMarked(message)).toBe(false);
  });

  it('answers with the ack alone when delivery fails after it, telling the observer and leaving the copy to the relay', async () => {
    const { ports, notifier, send } = setup();
    ports.threads.membersWithRoles = async () => {
      throw new Error('DynamoDB unavailable');
    };
    const message = await send();
    expect(framesTo(notifier, 'alice-phone')).toEqual([expect.objectContaining({ type: 'ack', seq: 5 })]);
    expect(ports.observer.events.map((event) => event.event)).toEqual(['committed', 'acked', 'deliveryFailed']);
    expect(ports.staged.isMarked(message)).toBe(false);
  });

  it('reports a mark that failed instead of failing the send (the relay then delivers again)', async () => {
    const { ports, send } = setup();
    ports.staged.markDelivered = async () => {
      throw new Error('throttled');
    };
    await expect(send()).resolves.toMatchObject({ seq: 5 });
    expect(ports.observer.events.at(-1)).toEqual({ event: 'markFailed', error: new Error('throttled') });
  });

  it('acks a retry of a send that already committed, with the same seq, and delivers and pushes nothing again once the copy is marked', async () => {
    const { ports, journal, notifier, send } = setup();
    const first = await send('c7');
    journal.length = 0;
    notifier.attempts.length = 0;
    ports.push.requests.length = 0;

    const retry = await send('c7');

    const { text: _text, ...recorded } = first as StoredMessage;
    expect(retry).toEqual(recorded);
    expect(journal).toEqual(['post ack alice-phone']);
    expect(ports.staged.calls.at(-1)).toBe('staged g1#5');
    expect(framesTo(notifier, 'alice-phone')).toEqual([expect.objectContaining({ type: 'ack', seq: first.seq, messageId: first.messageId })]);
    expect(ports.push.requests).toEqual([]);
    expect(ports.observer.events.slice(-2)).toMatchObject([{ event: 'committed', isNew: false }, { event: 'acked' }]);
  });

  it('delivers a retry again, from the staged copy and not from the request, when the first send died before marking it', async () => {
    const { ports, journal, notifier, send } = setup();
    const first = await send('c7');
    // The first send died after its commit: its copy is unmarked, and holds what was committed.
    ports.staged.markedDelivered.clear();
    ports.threads.staged.set('g1', [{ ...ports.threads.staged.get('g1')![0], text: 'as committed' }]);
    journal.length = 0;
    notifier.attempts.length = 0;
    ports.push.requests.length = 0;

    await send('c7');

    expect(journal[0]).toBe('post ack alice-phone');
    expect(framesTo(notifier, 'bob-1')).toEqual([expect.objectContaining({ type: 'message', seq: first.seq, messageId: first.messageId, text: 'as committed' })]);
    expect(ports.push.requests).toEqual([expect.objectContaining({ recipients: ['carol'], seq: first.seq, preview: 'as committed' })]);
    expect(journal.at(-1)).toBe('mark g1#5');
  });

  it('delivers nothing again for a retry whose staged copy history already took (the relay delivered it first)', async () => {
    const { ports, notifier, send } = setup();
    await send('c7');
    ports.staged.markedDelivered.clear();
    await ports.staged.release([{ threadId: 'g1', seq: 5 }]);
    notifier.attempts.length = 0;
    ports.push.requests.length = 0;

    await send('c7');

    expect(notifier.attempts.map((attempt) => (attempt.frame as { type: string }).type)).toEqual(['ack']);
    expect(ports.push.requests).toEqual([]);
  });

  it('asks for push for the members with no live connection, never for the sender, with a preview of the text', async () => {
    // Alice's sending connection is not in the directory (it went stale): she is still not pushed her own message.
    const { ports, send } = setup({ live: [{ userId: 'bob', connectionId: 'bob-1' }] });

    const message = await send('c1', 'x'.repeat(150));

    expect(ports.push.requests).toEqual([{ recipients: ['carol'], senderId: 'alice', threadId: 'g1', seq: message.seq, preview: `${'x'.repeat(99)}…` }]);
  });

  it('asks for no push when every member is online', async () => {
    const { ports, send } = setup({
      live: [
        { userId: 'alice', connectionId: 'alice-phone' },
        { userId: 'bob', connectionId: 'bob-1' },
        { userId: 'carol', connectionId: 'carol-1' },
      ],
    });
    await send();
    expect(ports.push.requests).toEqual([]);
  });

  it('reports a push request that could not be published instead of failing the send', async () => {
    const { ports, send } = setup({ push: new RecordingPushRequester(new Error('SNS throttled')) });
    await expect(send()).resolves.toMatchObject({ seq: 5 });
    expect(ports.observer.events).toContainEqual({ event: 'pushFailed', error: new Error('SNS throttled') });
  });

  it('acks nothing and delivers nothing when the commit is refused', async () => {
    const { notifier, ports } = setup();
    await expect(
      sendMessage({ fromConnectionId: 'mallory-1', senderId: 'mallory', clientMsgId: 'c1', threadId: 'g1', text: 'hi', ...ports }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(notifier.attempts).toEqual([]);
    expect(ports.push.requests).toEqual([]);
  });
});

describe('deliverMessage: push', () => {
  const message: StoredMessage = { threadId: 'g1', seq: 3, messageId: 'm3', senderId: 'alice', clientMsgId: 'c3', text: 'late', sentAt: SENT_AT };

  it('asks for push for members with no live connection as soon as the lookups are done, without waiting for the posts', async () => {
    // Posts that answer only once push was asked for: a push that waited for the posts would never come.
    let pushAsked!: () => void;
    const asked = new Promise<void>((resolve) => (pushAsked = resolve));
    const notifier = new (class extends RecordingNotifier {
      override async post(connectionId: string, frame: object) {
        await asked;
        return super.post(connectionId, frame);
      }
    })();
    const push = new RecordingPushRequester();
    const request = push.request.bind(push);
    push.request = (pushed) => (pushAsked(), request(pushed));
    const { ports, journal } = setup({ notifier, push });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('push waited for the posts')), 1000)));
    await Promise.race([deliverMessage({ message, fromConnectionId: 'alice-phone', ...ports }), timeout]).finally(() => clearTimeout(timer));
    expect(journal.indexOf('push carol')).toBeGreaterThan(journal.indexOf('lookup alice bob carol'));
    expect(journal.filter((entry) => entry.startsWith('post '))).toEqual(['post message alice-laptop', 'post message bob-1']);
  });

  it('pushes, after the posts, a member whose every connection the gateway reported gone (410)', async () => {
    const notifier = new RecordingNotifier((connectionId) => (connectionId === 'bob-1' || connectionId === 'bob-2' ? 'gone' : 'delivered'));
    const { ports, journal } = setup({
      notifier,
      live: [
        { userId: 'alice', connectionId: 'alice-phone' },
        { userId: 'bob', connectionId: 'bob-1' },
        { userId: 'bob', connectionId: 'bob-2' },
      ],
    });
    await deliverMessage({ message, fromConnectionId: 'alice-phone', ...ports });
    expect(ports.push.requests.map((request) => request.recipients)).toEqual([['carol'], ['bob']]);
    expect(journal.indexOf('push bob')).toBeGreaterThan(journal.lastIndexOf('post message bob-2'));
    expect(ports.observer.events.at(-1)).toMatchObject({ event: 'delivered', report: { gone: 2, offline: ['carol'], unreachable: ['bob'] } });
  });

  it('does not push a member with one connection gone and another reached, nor one whose post failed otherwise (not known gone)', async () => {
    const notifier = new RecordingNotifier((connectionId) => (connectionId === 'bob-1' ? 'gone' : connectionId === 'carol-1' ? 'error' : 'delivered'));
    const { ports } = setup({
      notifier,
      live: [
        { userId: 'bob', connectionId: 'bob-1' },
        { userId: 'bob', connectionId: 'bob-2' },
        { userId: 'carol', connectionId: 'carol-1' },
      ],
    });
    await deliverMessage({ message, fromConnectionId: 'alice-phone', ...ports });
    // Alice has no live connection, but she sent it: nobody is pushed.
    expect(ports.push.requests).toEqual([]);
  });

  it('never pushes the sender, even when all her other connections are gone', async () => {
    const notifier = new RecordingNotifier((connectionId) => (connectionId === 'alice-laptop' ? 'gone' : 'delivered'));
    const { ports } = setup({ notifier, live: [{ userId: 'alice', connectionId: 'alice-laptop' }, { userId: 'bob', connectionId: 'bob-1' }, { userId: 'carol', connectionId: 'carol-1' }] });
    await deliverMessage({ message, fromConnectionId: 'alice-phone', ...ports });
    expect(ports.push.requests).toEqual([]);
  });
});

describe('deliverMessage, for a committed message whose sending connection is not known (the relay)', () => {
  it("delivers to every live connection of every member, the sender's included, and pushes the offline ones", async () => {
    const { ports, notifier } = setup();
    const message: StoredMessage = { threadId: 'g1', seq: 3, messageId: 'm3', senderId: 'alice', clientMsgId: 'c3', text: 'late', sentAt: SENT_AT };

    await deliverMessage({ message, ...ports });

    expect(notifier.posts.map((post) => post.connectionId).sort()).toEqual(['alice-laptop', 'alice-phone', 'bob-1']);
    expect(ports.push.requests).toEqual([{ recipients: ['carol'], senderId: 'alice', threadId: 'g1', seq: 3, preview: 'late' }]);
  });
});
