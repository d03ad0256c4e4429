import { BadRequestError, ForbiddenError, NotFoundError } from '../errors';
import type { ThreadStore } from './ports';
import { newGroupThreadId, type Member, type ThreadHead } from './threads';

/** The `thread` frame: the reply to a membership action and the event every member receives. */
export interface ThreadView {
  readonly threadId: string;
  readonly kind: 'group' | 'dm';
  readonly name?: string;
  readonly members: string[];
  readonly admins: string[];
}

export function threadView(head: ThreadHead, members: readonly Member[]): ThreadView {
  return {
    threadId: head.threadId,
    kind: head.kind,
    ...(head.name === undefined ? {} : { name: head.name }),
    members: members.map((member) => member.userId),
    admins: members.filter((member) => member.role === 'admin').map((member) => member.userId),
  };
}

export interface MembershipChange {
  readonly view: ThreadView;
  /** Who should hear of the change: the members, and a removed member once more. */
  readonly notify: readonly string[];
}

async function groupOf(threads: ThreadStore, threadId: string): Promise<{ head: ThreadHead; members: Member[] }> {
  const [head, members] = await Promise.all([threads.head(threadId), threads.membersWithRoles(threadId)]);
  if (head === undefined) throw new NotFoundError('threadId: no such thread');
  return { head, members };
}

export async function createGroup(
  threads: ThreadStore,
  creator: string,
  name: string,
  invited: readonly string[],
  maxMembers: number,
  now: number,
): Promise<MembershipChange> {
  const others = [...new Set(invited)].filter((userId) => userId !== creator);
  if (others.length + 1 > maxMembers) throw new BadRequestError(`members: a group holds at most ${maxMembers} members`);
  const head: ThreadHead = { threadId: newGroupThreadId(), kind: 'group', name, lastSeq: 0, lastActivity: now };
  await threads.createGroup(head, creator, others, now);
  const members: Member[] = [{ userId: creator, role: 'admin' }, ...others.map((userId) => ({ userId, role: 'member' as const }))];
  const view = threadView(head, members);
  return { view, notify: view.members };
}

export async function addMembers(
  threads: ThreadStore,
  caller: string,
  threadId: string,
  userIds: readonly string[],
  maxMembers: number,
  now: number,
): Promise<MembershipChange> {
  const { head, members } = await groupOf(threads, threadId);
  const self = members.find((member) => member.userId === caller);
  if (self === undefined) throw new ForbiddenError('you are not a member of this thread');
  if (head.kind !== 'group') throw new BadRequestError('threadId: only groups have members to add');
  if (self.role !== 'admin') throw new ForbiddenError('only admins add members');
  const current = new Set(members.map((member) => member.userId));
  const added = [...new Set(userIds)].filter((userId) => !current.has(userId));
  if (current.size + added.length > maxMembers) throw new BadRequestError(`userIds: a group holds at most ${maxMembers} members`);
  if (added.length > 0) await threads.addMembers(threadId, added, now);
  const view = threadView(head, [...members, ...added.map((userId) => ({ userId, role: 'member' as const }))]);
  return { view, notify: view.members };
}

export async function removeMember(threads: ThreadStore, caller: string, threadId: string, userId: string): Promise<MembershipChange> {
  const { head, members } = await groupOf(threads, threadId);
  const self = members.find((member) => member.userId === caller);
  if (self === undefined) throw new ForbiddenError('you are not a member of this thread');
  if (head.kind !== 'group') throw new BadRequestError('threadId: only groups have members to remove');
  if (userId !== caller && self.role !== 'admin') throw new ForbiddenError('only admins remove others; anyone may leave');
  if (!members.some((member) => member.userId === userId)) throw new NotFoundError('userId: not a member of this group');

  await threads.removeMember(threadId, userId);
  let remaining = members.filter((member) => member.userId !== userId);
  // A group is never left without an admin while it has members.
  if (remaining.length > 0 && !remaining.some((member) => member.role === 'admin')) {
    const [successor] = remaining;
    await threads.setRole(threadId, successor.userId, 'admin');
    remaining = remaining.map((member) => (member.userId === successor.userId ? { ...member, role: 'admin' as const } : member));
  }
  const view = threadView(head, remaining);
  return { view, notify: [...view.members, userId] };
}
