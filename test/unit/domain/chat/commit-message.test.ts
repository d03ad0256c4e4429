import { commitMessage } from '../../../../lambdas/domain/chat/commit-message';
import { directThreadId } from '../../../../lambdas/domain/chat/threads';
import { MessengerError } from '../../../../lambdas/domain/errors';
import { InMemoryRateCounter, InMemoryThreadStore } from '../../../support/in-memory-chat';

const clock = () => 1_764_000_000_000;

function setup() {
  const threads = new InMemoryThreadStore();
  // What the commit staged (the outbox, which the relay hands on): nothing is queued by the send.
  const staged = () => [...threads.staged.values()].flat();
  return { threads, staged, ports: { threads, rate: new InMemoryRateCounter(), clock, sleep: async () => undefined } };
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

  it('answers a retried clientMsgId from its send record, trying no commit and staging nothing more', async () => {
    const { ports, threads, staged } = setup();
    const first = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', ...ports });
    // The store would refuse a second commit too; the point is that the retry never asks for one.
    const commit = jest.spyOn(threads, 'commitMessage');
    const retry = await commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', ...ports });
    expect(retry).toEqual({ isNew: false, message: first.message });
    expect(commit).not.toHaveBeenCalled();
    expect(staged()).toEqual([first.message]);
  });

  it('takes the next seq when another sender got there first', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['alice', 'bob'], 4);
    const commit = threads.commitMessage.bind(threads);
    let attempts = 0;
    threads.commitMessage = async (request) => {
      attempts += 1;
      // Bob's message takes seq 5 between Alice's read and her commit.
      if (attempts === 1) await commit({ message: { ...request.message, senderId: 'bob', clientMsgId: 'b1', messageId: 'bob-5' }, recheckMembership: true });
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

  it('answers not_found for an unknown thread and bad_request for a message to yourself', async () => {
    const { ports, staged } = setup();
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'nope', text: 'x', ...ports }), 'not_found', /no such thread/);
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'alice', text: 'x', ...ports }), 'bad_request', /yourself/);
    expect(staged()).toEqual([]);
  });

  it('refuses the 21st message of a second with rate_limited, writing nothing for it, and sends again the next second', async () => {
    const { ports, staged } = setup();
    let now = 1_764_000_000_000;
    const timed = { ...ports, clock: () => now };
    for (let i = 1; i <= 20; i++) await commitMessage({ senderId: 'alice', clientMsgId: `c${i}`, to: 'bob', text: `${i}`, ...timed });
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c21', to: 'bob', text: 'too fast', ...timed }), 'rate_limited', /20 messages a second/);
    expect(staged()).toHaveLength(20);
    now += 1000;
    expect((await commitMessage({ senderId: 'alice', clientMsgId: 'c21', to: 'bob', text: 'later', ...timed })).message.seq).toBe(21);
  });

  it('gives up with rate_limited when the thread stays too contended', async () => {
    const { ports, threads } = setup();
    threads.addThread('g1', 'group', ['alice']);
    threads.commitMessage = async () => ({ outcome: 'seq_taken' });
    await expectError(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'x', ...ports }), 'rate_limited', /busy/);
  });
});
