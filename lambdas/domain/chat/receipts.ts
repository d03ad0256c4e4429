import { UNITS_PER_MEMBER_TOLD, type Purse } from '../budget';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors';
import { deliverToUsers, type DeliveryPorts } from './deliver-message';
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
 * implies `delivered` (the store's part). When it moved, the other members' connections get the
 * `receipt` frame; returns that event, or nothing when the receipt did not move.
 */
export async function recordReceipt({
  fromConnectionId,
  threads,
  connections,
  notifier,
  purse,
  ...request
}: ReceiptRequest & DeliveryPorts & { readonly fromConnectionId: string; readonly threads: ThreadStore; readonly purse: Purse }): Promise<ReceiptEvent | undefined> {
  const [head, member] = await Promise.all([threads.head(request.threadId), threads.isMember(request.threadId, request.userId)]);
  if (head === undefined) throw new NotFoundError('threadId: no such thread');
  if (!member) throw new ForbiddenError('you are not a member of this thread');
  if (request.seq > head.lastSeq) throw new BadRequestError(`seq must not be beyond the thread's last message (${head.lastSeq})`);
  // The other members are told: paid for by their number, before the receipt is written.
  await purse.spend(UNITS_PER_MEMBER_TOLD * ((head.kind === 'group' ? (head.memberCount ?? 0) : 2) - 1));
  const moved = await threads.advanceReceipt(request.userId, request.threadId, request.seq, request.status);
  if (!moved) return undefined;
  const receipt: ReceiptEvent = { threadId: request.threadId, userId: request.userId, seq: request.seq, status: request.status };
  const others = (await threads.membersOf(request.threadId)).filter((userId) => userId !== request.userId);
  await deliverToUsers({ frame: { type: 'receipt', ...receipt }, users: others, fromConnectionId, connections, notifier });
  return receipt;
}
