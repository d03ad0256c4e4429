import { ACTION_UNITS, DEFAULT_FRAME_UNITS } from '../../../../lambdas/domain/budget';
import { commitMessage } from '../../../../lambdas/domain/chat/commit-message';
import { directThreadId } from '../../../../lambdas/domain/chat/threads';
import { MessengerError } from '../../../../lambdas/domain/errors';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import { InMemoryPurse, InMemoryThreadStore } from '../../../support/in-memory-chat';

const clock = () => 1_764_000_000_000;

function setup() {
  const threads = new InMemoryThreadStore();
  // What the commit staged (the outbox, which the relay hands on): nothing is queued by the send.
  const staged = () => [...threads.staged.values()].flat();
  return { threads, staged, ports: { threads, purse: new InMemoryPurse(), clock, sleep: async () => undefined } };
}


async function expectError(promise: Promise<unknown>, code: string, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MessengerError);
  expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
}

describe('commitMessage', () => {
  it('creates the one-to-one thread on first use, the same from either side, and numbers from 1', async () => {
    const { ports, threads, staged } = setup();
    const first = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', ...ports });
    const reply = await commitMessage({ senderId: 'bob', clientMsgId: 'c1', to: 'alice', text: 'hello', ...ports });

    expect(first).toMatchObject({ isNew: true, message: { threadId: directThreadId('alice', 'bob'), seq: 1, senderId: 'alice', text: 'hi' } });
    expect(reply.message).toMatchObject({ threadId: first.message.threadId, seq: 2 });
    expect(directThreadId('bob', 'alice')).toBe(first.message.threadId);
    expect(await threads.membersOf(first.message.threadId)).toEqual(['alice', 'bob']);
    expect(staged().map((message) => message.seq)).toEqual([1, 2]);
  });

  it('reads again, rather than refusing, when a first message to someone finds the thread another send is creating half-read', async () => {
    const { ports, threads } = setup();
    await commitMessage({ senderId: 'bob', clientMsgId: 'b1', to: 'alice', text: 'hi', ...ports });
    // A batch read that caught the creating transaction's head but not yet the sender's own item.
    const load = threads.loadSendContext.bind(threads);
    jest.spyOn(threads, 'loadSendContext').mockImplementationOnce(async (...args) => ({ ...(await load(...args)), senderIsMember: false }));

    const sent = await commitMessage({ senderId: 'alice', clientMsgId: 'a1', to: 'bob', text: 'hello', ...ports });

    expect(sent).toMatchObject({ isNew: true, message: { threadId: directThreadId('alice', 'bob'), seq: 2 } });
    expect(threads.loadSendContext).toHaveBeenCalledTimes(2);
  });

  it('still refuses a stranger who names a thread they are not in', async () => {
    const { ports } = setup();
    const first = await commitMessage({ senderId: 'bob', clientMsgId: 'b1', to: 'alice', text: 'hi', ...ports });
    await expectError(commitMessage({ senderId: 'mallory', clientMsgId: 'm1', threadId: first.message.threadId, text: 'hey', ...ports }), 'forbidden', /not a member/);
  });

  it('answers a retried clientMsgId from its send record, without the text, trying no commit and staging nothing more', async () => {
    const { ports, threads, staged } = setup();
    const first = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', ...ports });
    // The store would refuse a second commit too; the point is that the retry never asks for one.
    const commit = jest.spyOn(threads, 'commitMessage');
    const retry = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', ...ports });
    const { text, ...recorded } = first.message as StoredMessage;
    expect(text).toBe('hi');
    expect(retry).toEqual({ isNew: false, message: recorded });
    expect(commit).not.toHaveBeenCalled();
    expect(staged()).toEqual([first.message]);
    // Naming the thread instead of the peer is the same send.
    const byThread = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: first.message.threadId, text: 'hi', ...ports });
    expect(byThread).toEqual({ isNew: false, message: recorded });
  });

  it.each([
    ['another text', { to: 'bob', text: 'edited' }],
    ['another peer', { to: 'carol', text: 'hi' }],
    ['another thread', { threadId: 'g1', text: 'hi' }],
  ])('refuses the same clientMsgId with %s as bad_request, and changes, stages and counts nothing', async (_, other) => {
    const { ports, threads, staged } = setup();
    threads.addThread('g1', 'group', ['alice', 'bob']);
    const first = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', ...ports });
    const commit = jest.spyOn(threads, 'commitMessage');

    const reuse = commitMessage({ senderId: 'alice', clientMsgId: 'c1', ...other, ...ports });

    await expectError(reuse, 'bad_request', /^clientMsgId was already used for a different message$/);
    expect(commit).not.toHaveBeenCalled();
    expect(staged()).toEqual([first.message]);
    expect(threads.headsById.get('g1')!.lastSeq).toBe(0);
    expect(ports.purse.messages).toBe(1);
  });

  it('takes a send record from before digests as a retry when the thread matches, staging nothing, and refuses another thread', async () => {
    const { ports, threads, staged } = setup();
    threads.addThread('g1', 'group', ['alice', 'bob'], 3);
    threads.addThread('g2', 'group', ['alice', 'bob']);
    const legacy = { threadId: 'g1', seq: 3, messageId: 'm-3', sentAt: 1_763_999_000_000 };
    threads.records.set(JSON.stringify(['alice', 'c1']), legacy);

    const retry = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'whatever', ...ports });
    expect(retry).toEqual({ isNew: false, message: { ...legacy, senderId: 'alice', clientMsgId: 'c1' } });
    expect(staged()).toEqual([]);
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g2', text: 'x', ...ports }), 'bad_request', /already used/);
    expect(ports.purse.messages).toBe(0);
  });

  it('acks the retry of a member removed since the send, from the record, and refuses a new send of theirs', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['alice', 'bob']);
    const first = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'hi', ...ports });
    await threads.removeMember('g1', { userId: 'alice', role: 'member' });
    const retry = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'hi', ...ports });
    expect(retry).toMatchObject({ isNew: false, message: { seq: first.message.seq, messageId: first.message.messageId } });
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'changed', ...ports }), 'bad_request', /already used/);
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c2', threadId: 'g1', text: 'hi', ...ports }), 'forbidden', /not a member/);
  });

  it('takes the next seq when another sender got there first', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['alice', 'bob'], 4);
    const commit = threads.commitMessage.bind(threads);
    let attempts = 0;
    threads.commitMessage = async (request) => {
      attempts += 1;
      // Bob's message takes seq 5 between Alice's read and her commit.
      if (attempts === 1) await commit({ ...request, message: { ...request.message, senderId: 'bob', clientMsgId: 'b1', messageId: 'bob-5' } });
      return commit(request);
    };
    const sent = await commitMessage({ senderId: 'alice', clientMsgId: 'c9', threadId: 'g1', text: 'race', ...ports });
    expect(sent.message.seq).toBe(6);
    expect(attempts).toBe(2);
    expect((await threads.stagedMessages('g1', 1, 10)).map((message) => [message.seq, message.senderId])).toEqual([
      [5, 'bob'],
      [6, 'alice'],
    ]);
  });

  it('answers forbidden to a sender who is not a member, and to one removed while sending', async () => {
    const { ports, threads, staged } = setup();
    threads.addThread('g1', 'group', ['alice']);
    await expectError(commitMessage({ senderId: 'mallory', clientMsgId: 'c1', threadId: 'g1', text: 'x', ...ports }), 'forbidden', /not a member/);
    threads.forcedOutcomes.push({ outcome: 'not_member' });
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c2', threadId: 'g1', text: 'x', ...ports }), 'forbidden', /not a member/);
    expect(staged()).toEqual([]);
  });

  it('answers an unknown thread as it answers one the sender is not in (no oracle), and bad_request for a message to yourself', async () => {
    const { ports, staged } = setup();
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'nope', text: 'x', ...ports }), 'forbidden', /^you are not a member of this thread$/);
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'alice', text: 'x', ...ports }), 'bad_request', /yourself/);
    expect(staged()).toEqual([]);
  });

  it('never counts retries: 20 new messages and then 20 retries of them in one second get 20 acks, and count 20 messages', async () => {
    const { ports, staged } = setup();
    const sent = [];
    for (let i = 1; i <= 20; i++) sent.push(await commitMessage({ senderId: 'alice', clientMsgId: `c${i}`, to: 'bob', text: `${i}`, ...ports }));
    for (let i = 1; i <= 20; i++) {
      const retry = await commitMessage({ senderId: 'alice', clientMsgId: `c${i}`, to: 'bob', text: `${i}`, ...ports });
      expect(retry).toMatchObject({ isNew: false, message: { seq: sent[i - 1].message.seq, messageId: sent[i - 1].message.messageId } });
    }
    expect(ports.purse.messages).toBe(20);
    expect(ports.purse.spentOn('sends')).toBe(20 * ACTION_UNITS.sendMessage + 20 * DEFAULT_FRAME_UNITS);
    expect(staged()).toHaveLength(20);
  });

  /** A clock that only the fake sleep and the store's calls move. */
  function fakeTime(start = 1_764_000_000_000) {
    const time = { now: start, elapsed: () => time.now - start };
    return { time, clock: () => time.now, sleep: async (ms: number) => void (time.now += ms) };
  }

  it('counts only new messages: a send refused as forbidden (not a member, no such thread) or too busy gives its count back', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['bob']);
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'x', ...ports }), 'forbidden', /not a member/);
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c2', threadId: 'nowhere', text: 'x', ...ports }), 'forbidden', /not a member/);
    threads.addThread('g2', 'group', ['alice']);
    const { clock: fakeClock, sleep } = fakeTime();
    const busy = { ...ports, clock: fakeClock, sleep };
    const commit = threads.commitMessage.bind(threads);
    threads.commitMessage = async () => ({ outcome: 'seq_taken' });
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c3', threadId: 'g2', text: 'x', ...busy }), 'rate_limited', /too busy/);
    expect(ports.purse.messages).toBe(0);
    // A message that does commit still counts.
    threads.commitMessage = commit;
    await commitMessage({ senderId: 'alice', clientMsgId: 'c4', threadId: 'g2', text: 'x', ...ports });
    expect(ports.purse.messages).toBe(1);
  });

  it('keeps the count of a send whose commit failed in the store, since the commit may have landed', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['alice']);
    threads.commitMessage = async () => {
      throw new Error('RequestTimeout');
    };
    await expect(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'x', ...ports })).rejects.toThrow('RequestTimeout');
    expect(ports.purse.messages).toBe(1);
  });

  it('answers rate_limited after about 10 s, never more, when the thread stays too busy for a seq', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['alice']);
    const { time, clock: fakeClock, sleep } = fakeTime();
    let attempts = 0;
    threads.commitMessage = async () => (attempts++, { outcome: 'seq_taken' });

    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'x', ...ports, clock: fakeClock, sleep }), 'rate_limited', /too busy right now; retry the send/);

    expect(time.elapsed()).toBe(10_000);
    expect(attempts).toBeGreaterThan(5);
  });

  it('starts no attempt after the 10 s budget even when each commit is slow', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['alice']);
    const { time, clock: fakeClock, sleep } = fakeTime();
    const starts: number[] = [];
    threads.commitMessage = async () => {
      starts.push(time.elapsed());
      time.now += 700;
      return { outcome: 'seq_taken' };
    };

    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'x', ...ports, clock: fakeClock, sleep }), 'rate_limited', /busy/);

    expect(Math.max(...starts)).toBeLessThan(10_000);
    expect(time.elapsed()).toBeLessThanOrEqual(10_000 + 700);
  });
});
