import { userIdSchema } from '../../../protocol/fields';
import { BadRequestError, ForbiddenError } from '../errors';
import type { UserPairs } from '../user-pairs';
import { NOT_A_MEMBER } from './commit-message';
import { removeMember, type MembershipPorts } from './groups';

/** Blocks per `listBlocks` page. */
export const BLOCKS_PAGE_SIZE = 100;

/**
 * `blocker` blocks `userId`: from now on neither can message the other one-to-one, add the other to
 * a group, or see the other typing (and presence, where it reads the block list). Blocking someone
 * already blocked changes nothing. The blocked user is told nothing (docs/protocol.md, "Blocking").
 */
export async function blockUser({ blockerId, userId, now, pairs }: { blockerId: string; userId: string; now: number; pairs: Pick<UserPairs, 'block'> }) {
  if (userId === blockerId) throw new BadRequestError('userId: you cannot block yourself');
  await pairs.block(blockerId, userId, now);
  return { type: 'blocked', userId };
}

export async function unblockUser({ blockerId, userId, pairs }: { blockerId: string; userId: string; pairs: Pick<UserPairs, 'unblock'> }) {
  if (userId === blockerId) throw new BadRequestError('userId: you cannot block yourself');
  await pairs.unblock(blockerId, userId);
  return { type: 'unblocked', userId };
}

/** The caller's blocks, a page at a time; the cursor is opaque to clients. */
export async function listBlocks({ ownerId, cursor, pairs }: { ownerId: string; cursor?: string; pairs: Pick<UserPairs, 'blocksOf'> }) {
  let after: string | undefined;
  if (cursor !== undefined) {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!userIdSchema.safeParse(after).success) throw new BadRequestError('cursor: not a cursor this server gave out');
  }
  const page = await pairs.blocksOf(ownerId, BLOCKS_PAGE_SIZE, after);
  return { type: 'blocks', userIds: page.userIds, ...(page.next === undefined ? {} : { cursor: Buffer.from(page.next).toString('base64url') }) };
}

/**
 * Accepts a thread the caller was put in by request: it is pushed from now on, its receipts are
 * shared, and the caller accepts messages from whoever put them there (a later thread from them is
 * no request). Accepting a thread that is no request changes nothing.
 */
export async function acceptRequest({ userId, threadId, threads }: { userId: string; threadId: string; threads: MembershipPorts['threads'] }) {
  const membership = await threads.membership(threadId, userId);
  if (membership === undefined) throw new ForbiddenError(NOT_A_MEMBER);
  if (membership.consent !== undefined && !(await threads.acceptRequest(threadId, userId, membership.requestedBy))) {
    throw new ForbiddenError(NOT_A_MEMBER);
  }
  return { type: 'requestAccepted', threadId };
}

/**
 * Declines a request. A one-to-one request leaves the caller's thread list and nothing more of it
 * reaches them (no frames, no push) until they accept it or message the sender; the sender is told
 * nothing and their sends are acked as before, as Messenger does. A group request is declined by
 * leaving the group, which its members see as with any leave.
 */
export async function declineRequest({ userId, threadId, ...ports }: MembershipPorts & { userId: string; threadId: string }) {
  const [membership, head] = await Promise.all([ports.threads.membership(threadId, userId), ports.threads.head(threadId)]);
  if (membership === undefined || head === undefined) throw new ForbiddenError(NOT_A_MEMBER);
  if (membership.consent === undefined) throw new BadRequestError('threadId: this thread is not a request');
  if (head.kind === 'group') await removeMember({ callerId: userId, threadId, userId, ...ports });
  else if (!(await ports.threads.declineRequest(threadId, userId))) throw new BadRequestError('threadId: this thread is not a request');
  return { type: 'requestDeclined', threadId };
}
