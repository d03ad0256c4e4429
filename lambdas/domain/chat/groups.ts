import { addMembersUnits, membersToldUnits, type Purse } from '../budget';
import { BadRequestError, ForbiddenError, MessengerError, NotFoundError } from '../errors';
import { isBlockedPair, type UserPairs } from '../user-pairs';
import { NOT_A_MEMBER } from './commit-message';
import { deliverToUsers, type DeliveryPorts } from './deliver-message';
import type { Joining, ThreadStore } from './ports';
import { DEFAULT_HISTORY_FOR_NEW_MEMBERS, newGroupThreadId, type HistoryForNewMembers, type Member, type ThreadHead } from './threads';

/** The `thread` frame: the reply to a membership action and the event every member receives. */
// A type, not an interface, so that it reads as a plain frame (an index signature) to the router.
export type ThreadView = {
  readonly threadId: string;
  readonly kind: 'group' | 'dm';
  readonly name?: string;
  readonly members: string[];
  readonly admins: string[];
  /** Groups only. */
  readonly historyForNewMembers?: HistoryForNewMembers;
};

export function threadView(head: ThreadHead, members: readonly Member[]): ThreadView {
  return {
    threadId: head.threadId,
    kind: head.kind,
    ...(head.name === undefined ? {} : { name: head.name }),
    ...(head.kind === 'group' ? { historyForNewMembers: head.historyForNewMembers ?? DEFAULT_HISTORY_FOR_NEW_MEMBERS } : {}),
    members: members.map((member) => member.userId),
    admins: members.filter((member) => member.role === 'admin').map((member) => member.userId),
  };
}

/** The `thread` frame: the reply to a membership action and the event the members receive. */
export type ThreadFrame = { readonly type: 'thread' } & ThreadView;

/** What every membership action needs besides its request. */
export type MembershipPorts = DeliveryPorts & {
  readonly threads: ThreadStore;
  /** Who blocked whom, and who accepts whom: an add by someone a user does not accept lands as a request. */
  readonly pairs: Pick<UserPairs, 'pairsWith'>;
  /** The caller's connection, which gets the frame as its reply instead. */
  readonly fromConnectionId: string;
  /** The caller's budgets: what a change costs by the group's members is paid before it is written. */
  readonly purse: Purse;
};

/**
 * How the users someone puts in a group join (docs/protocol.md, "Message requests" and
 * "Blocking"): those with a block between them and the adder, either way, are left out, as
 * Messenger does not let you add someone who blocked you (nothing says why); those who do not
 * accept the adder land by request. One batch read of pairs per 100 users.
 */
async function admit(adderId: string, userIds: readonly string[], pairs: MembershipPorts['pairs'], joinedSeq: number) {
  const states = await pairs.pairsWith(adderId, userIds);
  const admitted = userIds.filter((userId) => !isBlockedPair(states.get(userId)));
  const requests = admitted.filter((userId) => !(states.get(userId)?.acceptedBy.includes(userId) ?? false));
  const joining: Joining = { requests, requestedBy: adderId, joinedSeq };
  return { admitted, joining };
}

/**
 * Pays for adding `count` members out of the caps (docs/protocol.md, "Budgets and caps"), and for
 * a new group out of the groups one may create; what one cap took is given back when the next refuses.
 */
async function payForMembers(purse: Purse, count: number, creatingGroup: boolean): Promise<void> {
  await purse.spend(count, 'membersAdded');
  if (!creatingGroup) return;
  try {
    await purse.spend(1, 'groupsCreated');
  } catch (error) {
    await purse.giveBack(count, 'membersAdded');
    throw error;
  }
}

/** Tells everyone concerned of a change (the members, and a removed member once more) and returns the caller's reply. */
async function announce(view: ThreadView, notify: readonly string[], ports: MembershipPorts): Promise<ThreadFrame> {
  const frame: ThreadFrame = { type: 'thread', ...view };
  await deliverToUsers({ frame, users: notify, fromConnectionId: ports.fromConnectionId, connections: ports.connections, notifier: ports.notifier });
  return frame;
}

/** The thread and the caller's membership of it: one answer for a thread that does not exist and one the caller is not in. */
async function groupOf(threads: ThreadStore, threadId: string, callerId: string): Promise<{ head: ThreadHead; members: Member[]; self: Member }> {
  const [head, members] = await Promise.all([threads.head(threadId), threads.membersWithRoles(threadId)]);
  const self = members.find((member) => member.userId === callerId);
  if (head === undefined || self === undefined) throw new ForbiddenError(NOT_A_MEMBER);
  return { head, members, self };
}

/** Creates a group whose first admin is the creator, and announces it. */
export async function createGroup({
  creatorId,
  name,
  members: invited,
  historyForNewMembers,
  maxMembers,
  now,
  ...ports
}: MembershipPorts & {
  readonly creatorId: string;
  readonly name: string;
  readonly members: readonly string[];
  readonly historyForNewMembers?: HistoryForNewMembers;
  readonly maxMembers: number;
  readonly now: number;
}): Promise<ThreadFrame> {
  const invitedOthers = [...new Set(invited)].filter((userId) => userId !== creatorId);
  if (invitedOthers.length + 1 > maxMembers) throw new BadRequestError(`members: a group holds at most ${maxMembers} members`);
  await payForMembers(ports.purse, invitedOthers.length, true);
  const { admitted: others, joining } = await admit(creatorId, invitedOthers, ports.pairs, 0);
  const head: ThreadHead = {
    threadId: newGroupThreadId(),
    kind: 'group',
    name,
    historyForNewMembers: historyForNewMembers ?? DEFAULT_HISTORY_FOR_NEW_MEMBERS,
    lastSeq: 0,
    lastActivity: now,
  };
  await ports.threads.createGroup(head, creatorId, others, now, joining);
  const members: Member[] = [{ userId: creatorId, role: 'admin' }, ...others.map((userId) => ({ userId, role: 'member' as const }))];
  const view = threadView(head, members);
  return announce(view, view.members, ports);
}

/** An admin adds members (those already in stay as they are), and the group hears of it. */
export async function addMembers({
  callerId,
  threadId,
  userIds,
  maxMembers,
  now,
  ...ports
}: MembershipPorts & {
  readonly callerId: string;
  readonly threadId: string;
  readonly userIds: readonly string[];
  readonly maxMembers: number;
  readonly now: number;
}): Promise<ThreadFrame> {
  const { head, members, self } = await groupOf(ports.threads, threadId, callerId);
  if (head.kind !== 'group') throw new BadRequestError('threadId: only groups have members to add');
  if (self.role !== 'admin') throw new ForbiddenError('only admins add members');
  const current = new Set(members.map((member) => member.userId));
  const newcomers = [...new Set(userIds)].filter((userId) => !current.has(userId));
  const full = `userIds: a group holds at most ${maxMembers} members`;
  if (current.size + newcomers.length > maxMembers) throw new BadRequestError(full);
  // Those added are written and told; those already in are told: paid before anything is read of them or written.
  await ports.purse.spend(addMembersUnits(newcomers.length, current.size));
  await payForMembers(ports.purse, newcomers.length, false);
  // Under `sinceJoined`, they read from the thread's last message as this add read it.
  const { admitted: requested, joining } = await admit(callerId, newcomers, ports.pairs, head.lastSeq);
  // The store holds the cap again in every write: adds racing this one may have taken the room.
  const { added, refused, unsettled = [] } =
    requested.length > 0 ? await ports.threads.addMembers(threadId, requested, maxMembers, now, joining) : { added: [], refused: [] };
  const view = threadView(head, [...members, ...added.map((userId) => ({ userId, role: 'member' as const }))]);
  if (refused.length === 0 && unsettled.length === 0) return announce(view, view.members, ports);
  // A large add is written in steps: those added before it stopped are members now, and the group hears of them.
  if (added.length > 0) await announce(view, view.members, ports);
  const addedSoFar = added.length > 0 ? `; ${added.length} of them were added before it stopped` : '';
  if (unsettled.length > 0) throw new MessengerError('rate_limited', `this group is changing too fast right now; retry the add${addedSoFar}`);
  throw new BadRequestError(added.length > 0 ? `${full}; ${added.length} of them were added before it filled up` : full);
}

/** A removal that keeps meeting concurrent changes this often answers that the group is busy. */
const REMOVAL_ATTEMPTS = 5;

/**
 * An admin removes a member, or anyone leaves; the removed member hears of it once more. A group
 * is never left without an admin while it has members: when the last admin goes, the first of the
 * others becomes admin in the same write. The write holds only if the roles it was planned on
 * still hold (two admins leaving at once would otherwise both see the other stay); if not, it is
 * planned again from the members as they are now.
 */
export async function removeMember({
  callerId,
  threadId,
  userId,
  ...ports
}: MembershipPorts & { readonly callerId: string; readonly threadId: string; readonly userId: string }): Promise<ThreadFrame> {
  for (let attempt = 1; attempt <= REMOVAL_ATTEMPTS; attempt++) {
    const { head, members, self } = await groupOf(ports.threads, threadId, callerId);
    if (head.kind !== 'group') throw new BadRequestError('threadId: only groups have members to remove');
    if (userId !== callerId && self.role !== 'admin') throw new ForbiddenError('only admins remove others; anyone may leave');
    const leaving = members.find((member) => member.userId === userId);
    if (leaving === undefined) throw new NotFoundError('userId: not a member of this group');

    const staying = members.filter((member) => member.userId !== userId);
    const successor = staying.length > 0 && !staying.some((member) => member.role === 'admin') ? staying[0].userId : undefined;
    // Every member is told: paid for once, before the first write.
    if (attempt === 1) await ports.purse.spend(membersToldUnits(members.length));
    if ((await ports.threads.removeMember(threadId, { userId, role: leaving.role, successor })) === 'removed') {
      const remaining = staying.map((member) => (member.userId === successor ? { ...member, role: 'admin' as const } : member));
      const view = threadView(head, remaining);
      return announce(view, [...view.members, userId], ports);
    }
  }
  throw new MessengerError('rate_limited', 'the group is changing too fast; try again');
}

/** An admin changes a group's settings (for now, what new members may read); the group hears of it. */
export async function updateGroup({
  callerId,
  threadId,
  historyForNewMembers,
  ...ports
}: MembershipPorts & { readonly callerId: string; readonly threadId: string; readonly historyForNewMembers: HistoryForNewMembers }): Promise<ThreadFrame> {
  const { head, members, self } = await groupOf(ports.threads, threadId, callerId);
  if (head.kind !== 'group') throw new BadRequestError('threadId: only groups have settings');
  if (self.role !== 'admin') throw new ForbiddenError('only admins change the group');
  // Every member is told: paid for by their number, before the setting is written.
  await ports.purse.spend(membersToldUnits(members.length));
  await ports.threads.setHistoryForNewMembers(threadId, historyForNewMembers);
  const view = threadView({ ...head, historyForNewMembers }, members);
  return announce(view, view.members, ports);
}
