import { BadRequestError } from '../errors';
import type { ThreadStore } from './ports';

/** Threads per page: each carries its member list, so pages stay small. */
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
}

export interface ThreadsPage {
  readonly threads: ThreadListing[];
  /** Present when more threads follow: pass it back as `cursor`. */
  readonly cursor?: string;
}

interface Position {
  readonly lastActivity: number;
  readonly threadId: string;
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.lastActivity, position.threadId])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const [lastActivity, threadId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof lastActivity === 'number' && typeof threadId === 'string') return { lastActivity, threadId };
  } catch {
    // Falls through to the error below.
  }
  throw new BadRequestError('cursor: not a cursor this server gave out');
}

const newestFirst = (a: Position, b: Position) => b.lastActivity - a.lastActivity || a.threadId.localeCompare(b.threadId);

/**
 * The caller's threads, most recent activity first, with the caller's receipts. The user's
 * thread list is one Query and the heads one batch read; the cursor is the position of the last
 * thread of the page, so a page stays right while new messages reorder the list.
 */
export async function listThreads(threads: ThreadStore, userId: string, cursor?: string): Promise<ThreadsPage> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const receipts = await threads.threadsOf(userId);
  const heads = await threads.heads(receipts.map((receipt) => receipt.threadId));
  const ordered = heads
    .map((head) => ({ head, position: { lastActivity: head.lastActivity ?? 0, threadId: head.threadId } }))
    .sort((a, b) => newestFirst(a.position, b.position))
    .filter((entry) => after === undefined || newestFirst(after, entry.position) < 0);
  const page = ordered.slice(0, THREADS_PAGE_SIZE);
  const receiptsOf = new Map(receipts.map((receipt) => [receipt.threadId, receipt]));
  const listings = await Promise.all(
    page.map(async ({ head }) => ({
      threadId: head.threadId,
      kind: head.kind,
      ...(head.name === undefined ? {} : { name: head.name }),
      members: await threads.membersOf(head.threadId),
      lastSeq: head.lastSeq,
      deliveredSeq: receiptsOf.get(head.threadId)?.deliveredSeq ?? 0,
      readSeq: receiptsOf.get(head.threadId)?.readSeq ?? 0,
      ...(head.lastMessage === undefined ? {} : { lastMessage: head.lastMessage }),
    })),
  );
  return {
    threads: listings,
    ...(ordered.length > page.length ? { cursor: encodeCursor(page[page.length - 1].position) } : {}),
  };
}
