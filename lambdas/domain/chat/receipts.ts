import { BadRequestError, ForbiddenError, NotFoundError } from '../errors';
import type { ThreadStore } from './ports';

export interface ReceiptRequest {
  readonly userId: string;
  readonly threadId: string;
  readonly seq: number;
  readonly status: 'delivered' | 'read';
}

/** The receipt frame other members receive. */
export interface ReceiptEvent {
  readonly threadId: string;
  readonly userId: string;
  readonly seq: number;
  readonly status: 'delivered' | 'read';
}

/**
 * Records a cumulative receipt: everything up to `seq`. Receipts only move forward, and `read`
 * implies `delivered`. Returns the event to forward, or nothing when the receipt did not move.
 */
export async function recordReceipt(threads: ThreadStore, request: ReceiptRequest): Promise<ReceiptEvent | undefined> {
  const [head, member] = await Promise.all([threads.head(request.threadId), threads.isMember(request.threadId, request.userId)]);
  if (head === undefined) throw new NotFoundError('threadId: no such thread');
  if (!member) throw new ForbiddenError('you are not a member of this thread');
  if (request.seq > head.lastSeq) throw new BadRequestError(`seq must not be beyond the thread's last message (${head.lastSeq})`);
  const moved = await threads.advanceReceipt(request.userId, request.threadId, request.seq, request.status);
  return moved ? { threadId: request.threadId, userId: request.userId, seq: request.seq, status: request.status } : undefined;
}
