import { threadView } from '../../../../lambdas/domain/chat/groups';
import { getMessages } from '../../../../lambdas/domain/chat/get-messages';
import { listThreads, THREADS_PAGE_SIZE } from '../../../../lambdas/domain/chat/list-threads';
import { countWithinBudget, jsonBytes, REPLY_BUDGET_BYTES } from '../../../../lambdas/domain/chat/reply-budget';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import { InMemoryHistory, InMemoryPurse, InMemoryThreadStore } from '../../../support/in-memory-chat';

/** API Gateway's quota for one message to a client. */
const GATEWAY_MESSAGE_BYTES = 128 * 1024;

/** 4000 characters of 3 bytes each in UTF-8: 12,000 bytes for 4000 characters. */
const LONG_TEXT = '€'.repeat(4000);
const message = (seq: number): StoredMessage => ({
  threadId: 't1',
  seq,
  messageId: `m${seq}`,
  senderId: 'alice',
  clientMsgId: `c${seq}`,
  text: LONG_TEXT,
  sentAt: 1000 + seq,
});
/** A 64-character user id, the longest the protocol allows. */
const longId = (i: number) => `u${String(i).padStart(63, '0')}`;

describe('the reply budget', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(jsonBytes('€')).toBe(5); // two quotes and three bytes
    expect(countWithinBudget(['€€', '€€', '€€'], 2 + 8 + 1 + 8)).toBe(2);
  });

  it('always lets one item through, so that paging moves on', () => {
    expect(countWithinBudget(['x'.repeat(100)], 10)).toBe(1);
    expect(countWithinBudget([], 10)).toBe(0);
  });
});

describe('getMessages within the budget', () => {
  const threads = new InMemoryThreadStore();
  threads.addThread('t1', 'dm', ['alice', 'bob'], 100);
  const history = new InMemoryHistory(Array.from({ length: 100 }, (_, i) => message(i + 1)));
  const frameBytes = (messages: StoredMessage[]) =>
    jsonBytes({ type: 'messages', reqId: 'r'.repeat(64), threadId: 't1', messages: messages.map(({ threadId: _t, ...rest }) => rest), hasMore: true });

  it('catching up returns the oldest messages that fit, with hasMore, and the next pages bring the rest', async () => {
    const seen: number[] = [];
    let afterSeq = 0;
    for (let pages = 0; pages < 100; pages++) {
      const page = await getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', afterSeq, limit: 100, threads, history });
      expect(frameBytes(page.messages)).toBeLessThanOrEqual(GATEWAY_MESSAGE_BYTES);
      seen.push(...page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      expect(page.messages.length).toBeLessThan(100);
      afterSeq = page.messages[page.messages.length - 1].seq;
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('the newest page keeps the newest messages that fit, and scrolling back brings the rest', async () => {
    const newest = await getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', limit: 100, threads, history });
    expect(frameBytes(newest.messages)).toBeLessThanOrEqual(GATEWAY_MESSAGE_BYTES);
    expect(newest.messages[newest.messages.length - 1].seq).toBe(100);
    expect(newest.hasMore).toBe(true);
    const before = await getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', beforeSeq: newest.messages[0].seq, limit: 100, threads, history });
    expect(before.messages[before.messages.length - 1].seq).toBe(newest.messages[0].seq - 1);
    expect(frameBytes(before.messages)).toBeLessThanOrEqual(GATEWAY_MESSAGE_BYTES);
  });

  it('a page within the budget is returned whole', async () => {
    const page = await getMessages({ purse: new InMemoryPurse(), userId: 'bob', threadId: 't1', afterSeq: 90, limit: 5, threads, history });
    expect(page.messages.map((m) => m.seq)).toEqual([91, 92, 93, 94, 95]);
    expect(page.hasMore).toBe(true);
  });
});

describe('listThreads within the budget', () => {
  it('stops before the page passes 128 KB and its cursor carries on after the last thread it holds', async () => {
    const threads = new InMemoryThreadStore();
    // Groups of 1024 members with 64-character ids: about 69 KB of members each.
    const members = Array.from({ length: 1024 }, (_, i) => longId(i));
    for (let i = 0; i < THREADS_PAGE_SIZE; i++) {
      threads.addThread(`g${i}`, 'group', [...members, 'alice']);
      await threads.advanceActivity(`g${i}`, ['alice'], 1, 1000 + i);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listThreads({ purse: new InMemoryPurse(), userId: 'alice', cursor, threads });
      expect(jsonBytes({ type: 'threads', reqId: 'r'.repeat(64), threads: page.threads, cursor: page.cursor })).toBeLessThanOrEqual(GATEWAY_MESSAGE_BYTES);
      expect(page.threads.length).toBeGreaterThan(0);
      seen.push(...page.threads.map((thread) => thread.threadId));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(Array.from({ length: THREADS_PAGE_SIZE }, (_, i) => `g${THREADS_PAGE_SIZE - 1 - i}`));
  });
});

it("a group's thread event with 1024 members of 64-character ids fits in one message to a client", () => {
  const members = Array.from({ length: 1024 }, (_, i) => ({ userId: longId(i), role: i === 0 ? ('admin' as const) : ('member' as const) }));
  const view = threadView({ threadId: `g_${'x'.repeat(126)}`, kind: 'group', name: 'n'.repeat(100), lastSeq: 0 } as never, members);
  const bytes = jsonBytes({ type: 'thread', reqId: 'r'.repeat(64), ...view });
  expect(bytes).toBeGreaterThan(1024 * 67); // the members alone: 64 characters, two quotes and a comma each
  expect(bytes).toBeLessThanOrEqual(REPLY_BUDGET_BYTES);
});
