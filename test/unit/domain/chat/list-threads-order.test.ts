import { listThreads, THREADS_PAGE_SIZE } from '../../../../lambdas/domain/chat/list-threads';
import { ROW_ACTIVITY_LAG_MS } from '../../../../lambdas/domain/chat/threads';
import { InMemoryPurse, InMemoryThreadStore } from '../../../support/in-memory-chat';

const T = 1_764_000_000_000;

/** Alice's one-to-one threads: each head at its activity, and her row of it where the relay last left it. */
function threadsAt(activities: ReadonlyArray<{ threadId: string; head: number; row: number }>): InMemoryThreadStore {
  const threads = new InMemoryThreadStore();
  for (const { threadId, head, row } of activities) {
    threads.addThread(threadId, 'dm', ['alice', `peer-${threadId}`], 1);
    threads.headsById.set(threadId, { ...threads.headsById.get(threadId)!, lastActivity: head });
    threads.receipts.set(`alice/${threadId}`, { ...threads.receipts.get(`alice/${threadId}`)!, lastActivity: row });
  }
  return threads;
}

/** Every page, cursor to cursor. */
async function allPages(threads: InMemoryThreadStore): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await listThreads({ purse: new InMemoryPurse(), userId: 'alice', threads, ...(cursor === undefined ? {} : { cursor }) });
    pages.push(page.threads.map((thread) => thread.threadId));
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

const pad = (index: number) => `t${String(index).padStart(2, '0')}`;

describe('listThreads orders by the heads’ activity, though rows move only once a minute', () => {
  it('puts a thread with a new message first even when its row was not moved, and pages the rest without skipping or repeating', async () => {
    // t00..t39 a second apart; then t00 gets a message 45 s later, within the lag: its row stays at
    // its old place, last in the index, beyond the first Query's rows.
    const threads = threadsAt(Array.from({ length: 40 }, (_, index) => ({ threadId: pad(index), head: T + index * 1000, row: T + index * 1000 })));
    threads.headsById.set('t00', { ...threads.headsById.get('t00')!, lastActivity: T + 45_000 });

    const pages = await allPages(threads);

    expect(pages[0][0]).toBe('t00');
    expect(pages.flat()).toEqual(['t00', ...Array.from({ length: 39 }, (_, index) => pad(39 - index))]);
    expect(pages[0]).toHaveLength(THREADS_PAGE_SIZE);
  });

  it('gives every thread once, in the exact order of the heads, whatever each row’s lag within the bound', async () => {
    // A fixed pseudo-random spread: activities over ten minutes (with ties), each row lagging its head by up to the bound.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const activities = Array.from({ length: 67 }, (_, index) => {
      const head = T + Math.floor(next() * 60) * 10_000;
      return { threadId: pad(index), head, row: head - Math.floor(next() * (ROW_ACTIVITY_LAG_MS + 1)) };
    });
    const threads = threadsAt(activities);

    const pages = await allPages(threads);

    const expected = [...activities].sort((a, b) => b.head - a.head || (a.threadId < b.threadId ? 1 : -1)).map((thread) => thread.threadId);
    expect(pages.flat()).toEqual(expected);
    expect(pages.map((page) => page.length)).toEqual([20, 20, 20, 7]);
  });

  it('reads no further down the index than a lagging row could still come before the page’s last thread, and charges the heads read beyond a page', async () => {
    // Ten minutes apart, rows where their heads are: a page's worth and a few more, in one Query.
    const apart = threadsAt(Array.from({ length: 60 }, (_, index) => ({ threadId: pad(index), head: T + index * 600_000, row: T + index * 600_000 })));
    const readsApart = jest.spyOn(apart, 'positionsByActivity');
    const purseApart = new InMemoryPurse();
    await listThreads({ purse: purseApart, userId: 'alice', threads: apart });
    expect(readsApart).toHaveBeenCalledTimes(1);

    // Ten seconds apart: a minute of rows below the page's last thread is 6 more, read in a second Query.
    const close = threadsAt(Array.from({ length: 60 }, (_, index) => ({ threadId: pad(index), head: T + index * 10_000, row: T + index * 10_000 })));
    const readsClose = jest.spyOn(close, 'positionsByActivity');
    const purseClose = new InMemoryPurse();
    await listThreads({ purse: purseClose, userId: 'alice', threads: close });
    expect(readsClose).toHaveBeenCalledTimes(2);
    expect(purseClose.spent.get('actions')! - purseApart.spent.get('actions')!).toBeGreaterThanOrEqual(0.5 * 20);
  });

  it('starts the next page at the cursor’s activity: a row stored above it cannot belong below it', async () => {
    const threads = threadsAt(Array.from({ length: 30 }, (_, index) => ({ threadId: pad(index), head: T + index * 600_000, row: T + index * 600_000 })));
    const first = await listThreads({ purse: new InMemoryPurse(), userId: 'alice', threads });
    const reads = jest.spyOn(threads, 'positionsByActivity');
    await listThreads({ purse: new InMemoryPurse(), userId: 'alice', threads, cursor: first.cursor });
    expect(reads).toHaveBeenCalledWith('alice', expect.any(Number), T + 10 * 600_000, undefined);
  });
});
