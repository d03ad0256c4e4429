import { ForbiddenError, NotFoundError } from '../errors';
import type { StoredMessage } from '../messages';
import type { HistoryReader, ThreadStore } from './ports';
import { countWithinBudget } from './reply-budget';

export interface GetMessagesRequest {
  readonly userId: string;
  readonly threadId: string;
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  readonly limit: number;
}

export interface MessagesPage {
  readonly messages: StoredMessage[];
  readonly hasMore: boolean;
}

/**
 * A page of a thread's messages in ascending seq. Seqs have no holes, so a page is an exact range
 * of seqs below the thread's `lastSeq`: read from history, and whatever history does not have yet
 * (the queue may lag) from the messages staged at send time. A page is also bounded in bytes, so
 * that its frame stays within API Gateway's 128 KB: fewer than `limit` messages then come back,
 * with `hasMore`, and the next page starts where this one stopped.
 */
export async function getMessages({
  threads,
  history,
  ...request
}: GetMessagesRequest & { readonly threads: ThreadStore; readonly history: HistoryReader }): Promise<MessagesPage> {
  const [head, member] = await Promise.all([threads.head(request.threadId), threads.isMember(request.threadId, request.userId)]);
  if (head === undefined) throw new NotFoundError('threadId: no such thread');
  if (!member) throw new ForbiddenError('you are not a member of this thread');

  let from: number;
  let to: number;
  if (request.afterSeq !== undefined) {
    from = request.afterSeq + 1;
    to = Math.min(head.lastSeq, request.afterSeq + request.limit);
  } else if (request.beforeSeq !== undefined) {
    to = Math.min(head.lastSeq, request.beforeSeq - 1);
    from = Math.max(1, to - request.limit + 1);
  } else {
    to = head.lastSeq;
    from = Math.max(1, to - request.limit + 1);
  }
  if (to < from) return { messages: [], hasMore: false };

  // History down: the staged copies may still cover the page (they hold the last days' messages).
  let historyFailure: unknown;
  const stored = await history.range(request.threadId, from, to).catch((error: unknown) => {
    historyFailure = error;
    return [];
  });
  const found = new Set(stored.map((message) => message.seq));
  const missing = [];
  for (let seq = from; seq <= to; seq++) if (!found.has(seq)) missing.push(seq);
  const staged = missing.length > 0 ? await threads.stagedMessages(request.threadId, missing[0], missing[missing.length - 1]) : [];
  const bySeq = new Map([...staged, ...stored].map((message) => [message.seq, message]));
  const messages = [...bySeq.values()].filter((message) => message.seq >= from && message.seq <= to).sort((a, b) => a.seq - b.seq);
  if (historyFailure !== undefined && messages.length < to - from + 1) throw historyFailure;
  // Catching up pages forward, towards lastSeq: it keeps the oldest that fit. Scrolling back and
  // the newest page page backward, towards 1: they keep the newest that fit.
  if (request.afterSeq !== undefined) {
    const fitting = countWithinBudget(messages);
    return { messages: messages.slice(0, fitting), hasMore: fitting < messages.length || to < head.lastSeq };
  }
  const fitting = countWithinBudget([...messages].reverse());
  return { messages: messages.slice(messages.length - fitting), hasMore: fitting < messages.length || from > 1 };
}
