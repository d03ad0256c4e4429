import { threadIdSchema } from '../../../protocol/fields';
import { threadsPageUnits, type Purse } from '../budget';
import { BadRequestError } from '../errors';
import type { ThreadStore } from './ports';
import { countWithinBudget, jsonBytes } from './reply-budget';
import { hiddenUpTo, ROW_ACTIVITY_LAG_MS, type ThreadHead, type ThreadPosition } from './threads';

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

/** Index rows read per Query: a page's worth, and a few more for rows that lag their thread's activity. */
const ROWS_PER_READ = THREADS_PAGE_SIZE + 5;

/** Newest activity first; between equal activities, the greater thread id first (any fixed order would do). */
const newestFirst = (a: ThreadPosition, b: ThreadPosition) => b.lastActivity - a.lastActivity || (a.threadId < b.threadId ? 1 : a.threadId > b.threadId ? -1 : 0);

/** A thread as a page orders it: where its head says it is (its row may lag, ROW_ACTIVITY_LAG_MS). */
interface Candidate {
  readonly position: ThreadPosition;
  readonly head: ThreadHead;
}

/**
 * The caller's next THREADS_PAGE_SIZE threads after `after`, in the exact order of their heads'
 * activity. A row's stored activity lags its thread's by at most ROW_ACTIVITY_LAG_MS, and never
 * leads it, so rows are read down the index until the next row, even that far behind, could no
 * longer come before the page's last thread. Rows stored after `after` cannot be below it.
 */
async function nextThreads(threads: ThreadStore, userId: string, after?: ThreadPosition): Promise<{ page: Candidate[]; more: boolean; headsRead: number }> {
  const candidates: Candidate[] = [];
  let next: ThreadPosition | undefined;
  let headsRead = 0;
  do {
    const rows = await threads.positionsByActivity(userId, ROWS_PER_READ, after?.lastActivity, next);
    const heads = new Map((await threads.heads(rows.positions.map((row) => row.threadId))).map((head) => [head.threadId, head]));
    headsRead += rows.positions.length;
    for (const row of rows.positions) {
      const head = heads.get(row.threadId);
      if (head === undefined) continue;
      const position = { threadId: row.threadId, lastActivity: Math.max(head.lastActivity ?? 0, row.lastActivity) };
      if (after === undefined || newestFirst(after, position) < 0) candidates.push({ position, head });
    }
    candidates.sort((a, b) => newestFirst(a.position, b.position));
    next = rows.next;
    const lowestRead = rows.positions.at(-1)?.lastActivity;
    const last = candidates[THREADS_PAGE_SIZE - 1];
    if (last !== undefined && lowestRead !== undefined && lowestRead + ROW_ACTIVITY_LAG_MS < last.position.lastActivity) break;
  } while (next !== undefined);
  return { page: candidates.slice(0, THREADS_PAGE_SIZE), more: candidates.length > THREADS_PAGE_SIZE || next !== undefined, headsRead };
}

/**
 * The caller's threads, most recent activity first (the heads' activity: exact, though rows move
 * only once their thread is a minute ahead), with the caller's receipts: one page is a Query of
 * the caller's thread list (ordered by the rows' activity in its index, more when rows near the
 * page's end lag), one batch read of those threads' heads, one of the caller's rows (receipts) and
 * one Query of members per thread. Only threads the caller is a member of are listed: a row without
 * a head (a group still being created) or whose members leave the caller out (a leftover of a
 * removal) is skipped, and so is a request the caller declined, so a page may hold fewer threads
 * than the store's. A request the caller has not accepted is listed with `request: true`, for
 * clients to show apart (Messenger's requests folder). A page stops short of API Gateway's 128 KB
 * (large groups carry long member lists): its cursor then points after the last thread it holds.
 * The page is paid for by the heads read beyond a page, the member rows it read and the bytes it
 * sends, once read and before it is answered (over budget: `rate_limited`, and nothing).
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
  const { page, more, headsRead } = await nextThreads(threads, userId, cursor === undefined ? undefined : decodeCursor(cursor));
  let membersRead = 0;
  const [rows, listed] = await Promise.all([
    threads.userThreads(userId, page.map(({ head }) => head.threadId)),
    Promise.all(
      page.map(async ({ head, position }) => {
        const members = await threads.membersWithRoles(head.threadId);
        membersRead += members.length;
        return { head, position, members };
      }),
    ),
  ]);
  const rowsById = new Map(rows.map((row) => [row.threadId, row]));
  const entries = listed.flatMap(({ head, position, members }) => {
    const row = rowsById.get(head.threadId);
    const self = members.find((member) => member.userId === userId);
    if (row === undefined || self === undefined || self.consent === 'declined') return [];
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
    return [{ position, listing }];
  });
  const listings = entries.map((entry) => entry.listing);
  const fitting = countWithinBudget(listings);
  const lastListed = page.at(-1);
  const reply: ThreadsPage =
    fitting < listings.length
      ? { threads: listings.slice(0, fitting), cursor: encodeCursor(entries[fitting - 1].position) }
      : { threads: listings, ...(more && lastListed !== undefined ? { cursor: encodeCursor(lastListed.position) } : {}) };
  await purse.spend(threadsPageUnits({ membersRead, bytesSent: jsonBytes(reply.threads), headsRead: Math.max(0, headsRead - THREADS_PAGE_SIZE) }));
  return reply;
}
