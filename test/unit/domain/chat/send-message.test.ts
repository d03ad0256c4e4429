import { sendMessage } from '../../../../lambdas/domain/chat/send-message';
import { directThreadId } from '../../../../lambdas/domain/chat/threads';
import { MessengerError } from '../../../../lambdas/domain/errors';
import { InMemoryRateCounter, InMemoryThreadStore, RecordingQueue } from '../../../support/in-memory-chat';

const now = () => 1_764_000_000_000;

function setup() {
  const threads = new InMemoryThreadStore();
  const queue = new RecordingQueue();
  return { threads, queue, deps: { threads, queue, rate: new InMemoryRateCounter(), now, sleep: async () => undefined } };
}

async function expectError(promise: Promise<unknown>, code: string, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MessengerError);
  expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
}

describe('sendMessage', () => {
  it('creates the one-to-one thread on first use, the same from either side, and numbers from 1', async () => {
    const { deps, threads, queue } = setup();
    const first = await sendMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi' }, deps);
    const reply = await sendMessage({ senderId: 'bob', clientMsgId: 'c1', to: 'alice', text: 'hello' }, deps);

    expect(first).toMatchObject({ isNew: true, message: { threadId: directThreadId('alice', 'bob'), seq: 1, senderId: 'alice', text: 'hi' } });
    expect(reply.message).toMatchObject({ threadId: first.message.threadId, seq: 2 });
    expect(directThreadId('bob', 'alice')).toBe(first.message.threadId);
    expect(await threads.membersOf(first.message.threadId)).toEqual(['alice', 'bob']);
    expect(queue.messages.map((message) => message.seq)).toEqual([1, 2]);
  });

  it('answers a retried clientMsgId with the first message, creating nothing, and queues it again', async () => {
    const { deps, threads, queue } = setup();
    const first = await sendMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi' }, deps);
    const retry = await sendMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi' }, deps);
    expect(retry).toEqual({ isNew: false, message: first.message });
    expect(threads.headsById.get(first.message.threadId)?.lastSeq).toBe(1);
    expect(queue.messages).toEqual([first.message, first.message]);
  });

  it('takes the next seq when another sender got there first', async () => {
    const { deps, threads } = setup();
    threads.addThread('g1', 'group', ['alice', 'bob'], 4);
    const commit = threads.commitMessage.bind(threads);
    let attempts = 0;
    threads.commitMessage = async (request) => {
      attempts += 1;
      // Bob's message takes seq 5 between Alice's read and her commit.
      if (attempts === 1) await commit({ message: { ...request.message, senderId: 'bob', clientMsgId: 'b1', messageId: 'bob-5' }, recheckMembership: true });
      return commit(request);
    };
    const sent = await sendMessage({ senderId: 'alice', clientMsgId: 'c9', threadId: 'g1', text: 'race' }, deps);
    expect(sent.message.seq).toBe(6);
    expect(attempts).toBe(2);
    expect((await threads.stagedMessages('g1', 1, 10)).map((message) => [message.seq, message.senderId])).toEqual([
      [5, 'bob'],
      [6, 'alice'],
    ]);
  });

  it('answers forbidden to a sender who is not a member, and to one removed while sending', async () => {
    const { deps, threads, queue } = setup();
    threads.addThread('g1', 'group', ['alice']);
    await expectError(sendMessage({ senderId: 'mallory', clientMsgId: 'c1', threadId: 'g1', text: 'x' }, deps), 'forbidden', /not a member/);
    threads.forcedOutcomes.push({ outcome: 'not_member' });
    await expectError(sendMessage({ senderId: 'alice', clientMsgId: 'c2', threadId: 'g1', text: 'x' }, deps), 'forbidden', /not a member/);
    expect(queue.messages).toEqual([]);
  });

  it('answers not_found for an unknown thread and bad_request for a message to yourself', async () => {
    const { deps, queue } = setup();
    await expectError(sendMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'nope', text: 'x' }, deps), 'not_found', /no such thread/);
    await expectError(sendMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'alice', text: 'x' }, deps), 'bad_request', /yourself/);
    expect(queue.messages).toEqual([]);
  });

  it('refuses the 21st message of a second with rate_limited, writing nothing for it, and sends again the next second', async () => {
    const { deps, queue } = setup();
    let clock = 1_764_000_000_000;
    const timed = { ...deps, now: () => clock };
    for (let i = 1; i <= 20; i++) await sendMessage({ senderId: 'alice', clientMsgId: `c${i}`, to: 'bob', text: `${i}` }, timed);
    await expectError(sendMessage({ senderId: 'alice', clientMsgId: 'c21', to: 'bob', text: 'too fast' }, timed), 'rate_limited', /20 messages a second/);
    expect(queue.messages).toHaveLength(20);
    clock += 1000;
    expect((await sendMessage({ senderId: 'alice', clientMsgId: 'c21', to: 'bob', text: 'later' }, timed)).message.seq).toBe(21);
  });

  it('gives up with rate_limited when the thread stays too contended', async () => {
    const { deps, threads } = setup();
    threads.addThread('g1', 'group', ['alice']);
    threads.commitMessage = async () => ({ outcome: 'seq_taken' });
    await expectError(sendMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'x' }, deps), 'rate_limited', /busy/);
  });
});
