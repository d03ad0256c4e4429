import { getMessages } from '../../../../lambdas/domain/chat/get-messages';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import { InMemoryHistory, InMemoryPurse, InMemoryThreadStore } from '../../../support/in-memory-chat';

const message = (seq: number): StoredMessage => ({ threadId: 't1', seq, messageId: `m${seq}`, senderId: 'alice', clientMsgId: `c${seq}`, text: `text ${seq}`, sentAt: 1000 + seq });

/** Thread t1 of alice and bob at `lastSeq`, history holding `inHistory`, the staged copies `staged`. */
function setup(lastSeq: number, inHistory: number[], staged: number[]) {
  const threads = new InMemoryThreadStore();
  threads.addThread('t1', 'dm', ['alice', 'bob'], lastSeq);
  threads.staged.set('t1', staged.map(message));
  const history = new InMemoryHistory(inHistory.map(message));
  const reads: string[] = [];
  const range = history.range.bind(history);
  history.range = async (threadId, from, to) => (reads.push(`history ${from}-${to}`), range(threadId, from, to));
  const stagedMessages = threads.stagedMessages.bind(threads);
  threads.stagedMessages = async (threadId, from, to) => (reads.push(`staged ${from}-${to}`), stagedMessages(threadId, from, to));
  return { threads, history, reads, page: () => getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', limit: 10, threads, history }) };
}

/** History takes message `seq` and its staged copy is released: what the persistence function does. */
function persistAndRelease({ threads, history }: ReturnType<typeof setup>, seq: number) {
  history.messages.push(message(seq));
  threads.staged.set('t1', threads.staged.get('t1')!.filter((staged) => staged.seq !== seq));
}

describe('getMessages never returns a page with a hole', () => {
  it('reads no staged copies when history has the whole range', async () => {
    const { page, reads } = setup(3, [1, 2, 3], []);
    expect((await page()).messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(reads).toEqual(['history 1-3']);
  });

  it('fills what history lacks from the staged copies', async () => {
    const { page, reads } = setup(4, [1, 2], [3, 4]);
    expect((await page()).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(reads).toEqual(['history 1-4', 'staged 3-4']);
  });

  it('reads history again for a message persisted and released between its history read and its staged read', async () => {
    const race = setup(4, [1, 2], [3, 4]);
    const stagedMessages = race.threads.stagedMessages.bind(race.threads);
    race.threads.stagedMessages = async (threadId, from, to) => {
      // Between the two reads: history takes message 3 and its copy goes.
      persistAndRelease(race, 3);
      return stagedMessages(threadId, from, to);
    };
    expect((await race.page()).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(race.reads).toEqual(['history 1-4', 'staged 3-4', 'history 3-3']);
  });

  it('answers a retryable error, not a page with a hole, when a message is in neither', async () => {
    const { page } = setup(4, [1, 2], [4]);
    await expect(page()).rejects.toMatchObject({ code: 'internal', message: 'messages 3 to 3 of this thread cannot be read right now; retry' });
  });

  it('answers history’s failure when history is down and the staged copies do not cover the range, without reading history again', async () => {
    const { page, history, reads } = setup(4, [], [3, 4]);
    history.range = async () => {
      reads.push('history down');
      throw new Error('NoHostAvailableError');
    };
    await expect(page()).rejects.toThrow('NoHostAvailableError');
    expect(reads).toEqual(['history down', 'staged 1-4']);
  });
});
