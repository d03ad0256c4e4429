import { NOT_A_MEMBER } from './chat/commit-message';
import { deliverToUsers, hearsOfThread, type DeliveryPorts } from './chat/deliver-message';
import type { ThreadStore } from './chat/ports';
import { UNITS_PER_MEMBER_TOLD, type Purse } from './budget';
import { ForbiddenError } from './errors';
import type { BlockList } from './user-pairs';

/** One forward per user per thread per second at most: typing signals are frequent and worthless when stale. */
export const TYPING_INTERVAL_MS = 1000;

/** What the gate says of a typing signal: one of a member within the rate, one over it, or one of a non-member. */
export type TypingVerdict = 'admitted' | 'throttled' | 'not_member';

/** Admits a typing signal: checks membership and the rate. */
export interface TypingGate {
  /** What `admit` would answer now, read without writing anything. */
  peek(threadId: string, userId: string, now: number): Promise<TypingVerdict>;
  /** Checks membership and the rate and, when both hold, marks the signal, in one step. */
  admit(threadId: string, userId: string, now: number): Promise<TypingVerdict>;
}

/**
 * Tells the other members' connections that a user is typing: members only (`forbidden`
 * otherwise), and at most one signal per second per user and thread; the excess is dropped without
 * an error, since the next signal says the same. Typing is never stored beyond that rate mark.
 * Members with a block between them and the typist, either way, are not told, and neither is a
 * member who declined the thread.
 */
export async function signalTyping({
  threadId,
  userId,
  state,
  now,
  fromConnectionId,
  gate,
  threads,
  blocks,
  connections,
  notifier,
  purse,
}: DeliveryPorts & {
  readonly threadId: string;
  readonly userId: string;
  readonly state: 'start' | 'stop';
  readonly now: number;
  /** The typist's connection, which gets nothing back. */
  readonly fromConnectionId: string;
  readonly gate: TypingGate;
  readonly threads: Pick<ThreadStore, 'membersWithRoles'>;
  readonly blocks: Pick<BlockList, 'blockedAmong'>;
  readonly purse: Purse;
}): Promise<void> {
  // The gate finds no membership whether the thread exists or not: one answer for both. It is
  // read first, so that a signal over the rate costs one read, not the members' list.
  const expected = await gate.peek(threadId, userId, now);
  if (expected === 'not_member') throw new ForbiddenError(NOT_A_MEMBER);
  if (expected !== 'admitted') return;
  const hearing = (await threads.membersWithRoles(threadId)).filter((member) => member.userId !== userId && hearsOfThread(member)).map((member) => member.userId);
  const blocked = await blocks.blockedAmong(userId, hearing);
  const others = hearing.filter((member) => !blocked.has(member));
  // Telling them is paid for by their number, before the gate's mark (all a signal writes): a
  // signal refused over budget writes nothing.
  const units = UNITS_PER_MEMBER_TOLD * others.length;
  await purse.spend(units);
  // The mark decides between signals racing each other (and a removal meanwhile); a loser tells nobody and pays nothing for them.
  const verdict = await gate.admit(threadId, userId, now);
  if (verdict !== 'admitted') {
    await purse.giveBack(units);
    if (verdict === 'not_member') throw new ForbiddenError(NOT_A_MEMBER);
    return;
  }
  await deliverToUsers({ frame: { type: 'typing', threadId, userId, state }, users: others, fromConnectionId, connections, notifier });
}
