import { messagesPageUnits, threadsPageUnits } from '../../../../lambdas/domain/budget';
import { getMessages } from '../../../../lambdas/domain/chat/get-messages';
import { listThreads } from '../../../../lambdas/domain/chat/list-threads';
import { jsonBytes } from '../../../../lambdas/domain/chat/reply-budget';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import { InMemoryHistory, InMemoryPurse, InMemoryThreadStore } from '../../../support/in-memory-chat';

const message = (seq: number, text: string): StoredMessage => ({ threadId: 't1', seq, messageId: `m${seq}`, senderId: 'alice', clientMsgId: `c${seq}`, text, sentAt: 1000 + seq });

/** A direct thread of 100 messages of `text`. */
function threadOf(text: string) {
  const threads = new InMemoryThreadStore();
  threads.addThread('t1', 'dm', ['alice', 'bob'], 100);
  return { threads, history: new InMemoryHistory(Array.from({ length: 100 }, (_, i) => message(i + 1, text))) };
}

describe('getMessages pays for the bytes of its page', () => {
  // Charged a flat 10 units, a page of 100 long texts (about 400 KB read, 120 KB sent) cost what
  // a page of 100 "hi"s did.
  it('charges a page of long texts by the bytes read and sent, after the read', async () => {
    const { threads, history } = threadOf('€'.repeat(4000));
    const purse = new InMemoryPurse();
    const page = await getMessages({ userId: 'bob', threadId: 't1', limit: 100, threads, history, purse });
    const bytesRead = jsonBytes(await history.range('t1', 1, 100));
    expect(purse.spentOn()).toBe(messagesPageUnits({ bytesRead, bytesSent: jsonBytes(page.messages) }));
    expect(purse.spentOn()).toBeGreaterThanOrEqual(30);

    const short = threadOf('hi');
    const shortPurse = new InMemoryPurse();
    await getMessages({ userId: 'bob', threadId: 't1', limit: 100, ...short, purse: shortPurse });
    expect(shortPurse.spentOn()).toBeLessThanOrEqual(2);
  });

  it('answers rate_limited, and nothing of the page, when the budget cannot hold it', async () => {
    const { threads, history } = threadOf('€'.repeat(4000));
    await expect(getMessages({ userId: 'bob', threadId: 't1', limit: 100, threads, history, purse: new InMemoryPurse({ actions: 10 }) })).rejects.toMatchObject({
      code: 'rate_limited',
    });
  });
});

describe('listThreads pays for the members it read and the bytes it sends', () => {
  /** 20 groups of 1000 members, each with `alice`. */
  function bigGroups() {
    const threads = new InMemoryThreadStore();
    for (let g = 0; g < 20; g++) threads.addThread(`g${g}`, 'group', ['alice', ...Array.from({ length: 999 }, (_, i) => `u${g}x${i}`)], 1);
    return threads;
  }

  // Charged a flat 30 units, a page of 20 large groups read 20,000 member rows.
  it('charges a page of large groups by every member row read, and the bytes sent', async () => {
    const threads = bigGroups();
    const purse = new InMemoryPurse();
    const page = await listThreads({ userId: 'alice', threads, purse });
    expect(purse.spentOn()).toBe(threadsPageUnits({ membersRead: 20 * 1000, bytesSent: jsonBytes(page.threads) }));
    expect(purse.spentOn()).toBeGreaterThanOrEqual(200);
  });

  it('answers rate_limited when the budget cannot hold the page', async () => {
    await expect(listThreads({ userId: 'alice', threads: bigGroups(), purse: new InMemoryPurse({ actions: 50 }) })).rejects.toMatchObject({ code: 'rate_limited' });
  });
});
