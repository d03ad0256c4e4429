import { ACTION_UNITS, UNITS_PER_MEMBER_TOLD, type Purse } from '../budget';
import { BadRequestError, ForbiddenError } from '../errors';
import { NOT_A_MEMBER } from './commit-message';
import { deliverToUsers, hearsOfThread, type DeliveryPorts } from './deliver-message';
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
 * `receipt` frame (not those of members who declined the thread); returns that event, or nothing
 * when the receipt did not move (and then its charge for the members is given back). It pays from
 * the `acks` budget (never the one sends pay from) beside its reads, for the frame and one other
 * member, in one write; a group's further members are charged once the head says how many, before
 * the receipt is written. Receipts of a request go out like any others: the contract
 * promises them to the other members, unlike Messenger, which hides "seen" until a request is accepted.
 */
export async function recordReceipt({
  fromConnectionId,
  threads,
  connections,
  notifier,
  purse,
  ...request
}: ReceiptRequest & DeliveryPorts & { readonly fromConnectionId: string; readonly threads: ThreadStore; readonly purse: Purse }): Promise<ReceiptEvent | undefined> {
  // Paid beside the reads, so the budget adds no round trip; refused, the frame has written nothing.
  const [charge, read] = await Promise.allSettled([
    purse.spend(ACTION_UNITS.ack + UNITS_PER_MEMBER_TOLD, 'acks'),
    Promise.all([threads.head(request.threadId), threads.membership(request.threadId, request.userId)]),
  ]);
  if (charge.status === 'rejected') throw charge.reason;
  if (read.status === 'rejected') throw read.reason;
  const [head, membership] = read.value;
  // Refused, the frame pays what any frame does: the member's part charged beside the reads goes back.
  const refuse = async (error: Error) => {
    await purse.giveBack(UNITS_PER_MEMBER_TOLD, 'acks');
    return error;
  };
  // One answer whether the thread exists or not (commit-message.ts, NOT_A_MEMBER).
  if (head === undefined || membership === undefined) throw await refuse(new ForbiddenError(NOT_A_MEMBER));
  if (request.seq > head.lastSeq) throw await refuse(new BadRequestError(`seq must not be beyond the thread's last message (${head.lastSeq})`));
  const othersTold = Math.max(1, (head.kind === 'group' ? (head.memberCount ?? 0) : 2) - 1);
  await purse.spend(UNITS_PER_MEMBER_TOLD * (othersTold - 1), 'acks');
  const told = UNITS_PER_MEMBER_TOLD * othersTold;
  const moved = await threads.advanceReceipt(request.userId, request.threadId, request.seq, request.status);
  if (!moved) {
    // A receipt that did not move tells nobody: the members' part is given back, the frame's stays.
    await purse.giveBack(told, 'acks');
    return undefined;
  }
  const receipt: ReceiptEvent = { threadId: request.threadId, userId: request.userId, seq: request.seq, status: request.status };
  const others = (await threads.membersWithRoles(request.threadId)).filter((member) => member.userId !== request.userId && hearsOfThread(member)).map((member) => member.userId);
  await deliverToUsers({ frame: { type: 'receipt', ...receipt }, users: others, fromConnectionId, connections, notifier });
  return receipt;
}
