import { threadIdSchema } from '../../../protocol/fields';
import { threadsPageUnits, type Purse } from '../budget';
import { BadRequestError } from '../errors';
import type { ThreadStore } from './ports';
import { countWithinBudget, jsonBytes } from './reply-budget';
import { hiddenUpTo, type ThreadPosition } from './threads';

/** Threads per page at most: each carries its member list, so pages are also bounded in bytes. */
export const THREADS_PAGE_SIZE = 20;

export interface ThreadListing {
  readonly threadId: string;
  readonly kind: 'dm' | 'group';
  readonly name?: string;
  readonly members: string[];
  readonly lastSeq: number;
  readonly deliveredSeq: number;
  readonly readSeq: number;
  readonly lastMessage?: { seq: number; senderId: string; text: string; sentAt: number };
  /** Present (true) while the thread is a message request the caller has not accepted. */
  readonly request?: true;
}

export interface ThreadsPage {
  readonly threads: ThreadListing[];
  /** Present when more threads follow: pass it back as `cursor`. */
  readonly cursor?: string;
}

function encodeCursor(position: ThreadPosition): string {
  return Buffer.from(JSON.stringify([position.lastActivity, position.threadId])).toString('base64url');
}

function decodeCursor(cursor: string): ThreadPosition {
  try {
    const [lastActivity, threadId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    // Its parts become a DynamoDB key: anything the server could not have given out is refused here,
    // not by DynamoDB (an empty thread id would be a ValidationException, answered as `internal`).
    if (Number.isSafeInteger(lastActivity) && (lastActivity as number) >= 0 && threadIdSchema.safeParse(threadId).success) {
      return { lastActivity: lastActivity as number, threadId: threadId as string };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new BadRequestError('cursor: not a cursor this server gave out');
}

/**
 * The caller's threads, most recent activity first, with the caller's receipts: one page is one
 * Query of the caller's thread list (ordered by activity in its index), one batch read of those
 * threads' heads and one Query of members per thread. Only threads the caller is a member of are
 * listed: a row without a head (a group still being created) or whose members leave the caller out
 * (a leftover of a removal) is skipped, and so is a request the caller declined, so a page may hold
 * fewer threads than the store's. A request the caller has not accepted is listed with
 * `request: true`, for clients to show apart (Messenger's requests folder). A page
 * stops short of API Gateway's 128 KB (large groups carry long member lists): its cursor then
 * points after the last thread it holds. The page is paid for by the member rows it read and the
 * bytes it sends, once read and before it is answered (over budget: `rate_limited`, and nothing).
 */
export async function listThreads({
  userId,
  cursor,
  threads,
  purse,
}: {
  readonly purse: Purse;
  readonly userId: string;
  /** Where the page starts: a `cursor` an earlier page gave out. */
  readonly cursor?: string;
  readonly threads: ThreadStore;
}): Promise<ThreadsPage> {
  const page = await threads.recentThreadsOf(userId, THREADS_PAGE_SIZE, cursor === undefined ? undefined : decodeCursor(cursor));
  const heads = new Map((await threads.heads(page.threads.map((row) => row.threadId))).map((head) => [head.threadId, head]));
  let membersRead = 0;
  const listed = await Promise.all(
    page.threads.map(async (row) => {
      const head = heads.get(row.threadId);
      if (head === undefined) return undefined;
      const members = await threads.membersWithRoles(head.threadId);
      membersRead += members.length;
      const self = members.find((member) => member.userId === userId);
      if (self === undefined || self.consent === 'declined') return undefined;
      // A message from before the caller joined stays hidden where the group hides them.
      const lastMessage = head.lastMessage && head.lastMessage.seq > hiddenUpTo(head, self.joinedSeq ?? 0) ? head.lastMessage : undefined;
      const listing: ThreadListing = {
        threadId: head.threadId,
        kind: head.kind,
        ...(head.name === undefined ? {} : { name: head.name }),
        members: members.map((member) => member.userId),
        lastSeq: Math.max(head.lastSeq, row.lastSeq),
        deliveredSeq: row.deliveredSeq,
        readSeq: row.readSeq,
        ...(lastMessage === undefined ? {} : { lastMessage }),
        ...(self.consent === 'request' ? { request: true as const } : {}),
      };
      return { row, listing };
    }),
  );
  const entries = listed.filter((entry) => entry !== undefined);
  const listings = entries.map((entry) => entry.listing);
  const fitting = countWithinBudget(listings);
  const reply: ThreadsPage =
    fitting < listings.length
      ? { threads: listings.slice(0, fitting), cursor: encodeCursor(entries[fitting - 1].row) }
      : { threads: listings, ...(page.next === undefined ? {} : { cursor: encodeCursor(page.next) }) };
  await purse.spend(threadsPageUnits({ membersRead, bytesSent: jsonBytes(reply.threads) }));
  return reply;
}
