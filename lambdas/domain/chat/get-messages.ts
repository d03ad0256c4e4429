import { messagesPageUnits, type Purse } from '../budget';
import { ForbiddenError, MessengerError } from '../errors';
import type { StoredMessage } from '../messages';
import type { HistoryReader, ThreadStore } from './ports';
import { NOT_A_MEMBER } from './commit-message';
import { countWithinBudget, jsonBytes } from './reply-budget';
import { hiddenUpTo } from './threads';

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

/** The seqs of `from..to` that `found` lacks, ascending. */
function missingFrom(found: ReadonlyMap<number, StoredMessage>, from: number, to: number): number[] {
  const missing = [];
  for (let seq = from; seq <= to; seq++) if (!found.has(seq)) missing.push(seq);
  return missing;
}

/**
 * Every message of `from..to`, or an error the client can retry: never a range with a hole. A
 * committed message is staged until history has it, and only then released, so each one is in
 * one of the two; but a read of history and then of the staged copies can miss a message that
 * history took, and whose copy was released, between the two reads. History is read again for
 * what is still missing; a message missing after that is one history lost or cannot be read now.
 */
async function readRange(
  threadId: string,
  from: number,
  to: number,
  { threads, history }: { readonly threads: Pick<ThreadStore, 'stagedMessages'>; readonly history: HistoryReader },
): Promise<StoredMessage[]> {
  const found = new Map<number, StoredMessage>();
  const add = (messages: readonly StoredMessage[]) => {
    for (const message of messages) if (message.seq >= from && message.seq <= to) found.set(message.seq, message);
  };
  // History down: the staged copies may still cover the range (they hold whatever history lacks).
  let historyFailure: unknown;
  add(
    await history.range(threadId, from, to).catch((error: unknown) => {
      historyFailure = error;
      return [];
    }),
  );
  let missing = missingFrom(found, from, to);
  if (missing.length > 0) add(await threads.stagedMessages(threadId, missing[0], missing[missing.length - 1]));
  missing = missingFrom(found, from, to);
  if (missing.length > 0) {
    if (historyFailure !== undefined) throw historyFailure;
    add(await history.range(threadId, missing[0], missing[missing.length - 1]));
    missing = missingFrom(found, from, to);
  }
  if (missing.length > 0) {
    throw new MessengerError('internal', `messages ${missing[0]} to ${missing[missing.length - 1]} of this thread cannot be read right now; retry`);
  }
  return [...found.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * A page of a thread's messages in ascending seq. Seqs have no holes, so a page is an exact range
 * of seqs below the thread's `lastSeq`: read from history, and whatever history does not have yet
 * (the queue may lag) from the messages staged at send time, never with a hole (`readRange`). A page is also bounded in bytes, so
 * that its frame stays within API Gateway's 128 KB: fewer than `limit` messages then come back,
 * with `hasMore`, and the next page starts where this one stopped. A group whose new members read
 * only what is said after they joined (`sinceJoined`) starts every member's range after their
 * `joinedSeq`: older pages are empty, as if the thread began there. The page is paid for by its
 * bytes (what was read, and what is sent) once read and before it is answered: over budget, the
 * caller gets `rate_limited` and nothing of it.
 */
export async function getMessages({
  threads,
  history,
  purse,
  ...request
}: GetMessagesRequest & { readonly threads: ThreadStore; readonly history: HistoryReader; readonly purse: Purse }): Promise<MessagesPage> {
  const [head, membership] = await Promise.all([threads.head(request.threadId), threads.membership(request.threadId, request.userId)]);
  // One answer whether the thread exists or not (commit-message.ts, NOT_A_MEMBER).
  if (head === undefined || membership === undefined) throw new ForbiddenError(NOT_A_MEMBER);
  const first = hiddenUpTo(head, membership.joinedSeq) + 1;

  let from: number;
  let to: number;
  if (request.afterSeq !== undefined) {
    from = Math.max(first, request.afterSeq + 1);
    to = Math.min(head.lastSeq, from - 1 + request.limit);
  } else if (request.beforeSeq !== undefined) {
    to = Math.min(head.lastSeq, request.beforeSeq - 1);
    from = Math.max(first, to - request.limit + 1);
  } else {
    to = head.lastSeq;
    from = Math.max(first, to - request.limit + 1);
  }
  if (to < from) return { messages: [], hasMore: false };

  const messages = await readRange(request.threadId, from, to, { threads, history });
  // Catching up pages forward, towards lastSeq: it keeps the oldest that fit. Scrolling back and
  // the newest page page backward, towards 1: they keep the newest that fit.
  let page: MessagesPage;
  if (request.afterSeq !== undefined) {
    const fitting = countWithinBudget(messages);
    page = { messages: messages.slice(0, fitting), hasMore: fitting < messages.length || to < head.lastSeq };
  } else {
    const fitting = countWithinBudget([...messages].reverse());
    page = { messages: messages.slice(messages.length - fitting), hasMore: fitting < messages.length || from > first };
  }
  await purse.spend(messagesPageUnits({ bytesRead: jsonBytes(messages), bytesSent: jsonBytes(page.messages) }));
  return page;
}
