import { createHash, randomUUID } from 'node:crypto';

export type ThreadKind = 'dm' | 'group';

/**
 * What a member who joins a group later may read: everything said before they joined (`all`, the
 * default, as in Messenger), or only what is said from then on (`sinceJoined`).
 */
export type HistoryForNewMembers = 'all' | 'sinceJoined';
export const DEFAULT_HISTORY_FOR_NEW_MEMBERS: HistoryForNewMembers = 'all';

/** The head of a thread: what sending and listing need, without its members or messages. */
export interface ThreadHead {
  readonly threadId: string;
  readonly kind: ThreadKind;
  /** The seq of the newest message; 0 for a thread without messages. */
  readonly lastSeq: number;
  /** Groups only. */
  readonly name?: string;
  /** Groups only; absent means the default (`DEFAULT_HISTORY_FOR_NEW_MEMBERS`). */
  readonly historyForNewMembers?: HistoryForNewMembers;
  /** Groups only: how many members it has (absent on groups made before the count was kept, until their first change). */
  readonly memberCount?: number;
  /** Epoch ms of the newest message, or of the thread's creation. */
  readonly lastActivity?: number;
  readonly lastMessage?: { readonly seq: number; readonly senderId: string; readonly text: string; readonly sentAt: number };
}

export type MemberRole = 'admin' | 'member';

/**
 * Where a member stands on a thread someone else put them in without their consent (docs/protocol.md,
 * "Message requests"): `request` until they accept it (or reply), `declined` once they declined a
 * one-to-one request. Absent: an ordinary member.
 */
export type Consent = 'request' | 'declined';

export interface Member {
  readonly userId: string;
  readonly role: MemberRole;
  /** Absent for an ordinary member. */
  readonly consent?: Consent;
  /** The thread's `lastSeq` when the member joined; absent for 0 (a founding member). */
  readonly joinedSeq?: number;
  /** Who put a member in by request (the first sender of a one-to-one thread, the adder of a group). */
  readonly requestedBy?: string;
}

/**
 * The highest seq a member may not read: under a group's `sinceJoined` setting, what was said
 * before they joined; 0 (nothing hidden) otherwise.
 */
export function hiddenUpTo(head: ThreadHead, joinedSeq: number): number {
  return head.kind === 'group' && (head.historyForNewMembers ?? DEFAULT_HISTORY_FOR_NEW_MEMBERS) === 'sinceJoined' ? joinedSeq : 0;
}

/** A user's own view of a thread: how far they have received and read. */
export interface Receipts {
  readonly threadId: string;
  readonly deliveredSeq: number;
  readonly readSeq: number;
}

/** Where a thread stands in a user's list: by its latest activity, newest first. */
export interface ThreadPosition {
  readonly lastActivity: number;
  readonly threadId: string;
}

/**
 * How far a member's row may lag its thread's activity: the relay moves the rows of a thread only
 * when a message is this much newer than where it last moved them (each move rewrites every
 * member's index entry), and listThreads orders by the heads' activity, reading rows this far below
 * a page's last thread so that the order is exact (list-threads.ts).
 */
export const ROW_ACTIVITY_LAG_MS = 60_000;

/** Whether the members' rows must move for a message at `at`, given where they were last moved to. */
export function rowsLagBehind(rowActivity: number | undefined, at: number): boolean {
  return rowActivity === undefined || at - rowActivity > ROW_ACTIVITY_LAG_MS;
}

/** A row of the user's thread list. */
export interface UserThread extends Receipts, ThreadPosition {
  readonly lastSeq: number;
}

/**
 * The one-to-one thread of two users: the same id from either side, derived rather than looked
 * up, so that the first message can create it without a race between the two users.
 */
export function directThreadId(userA: string, userB: string): string {
  const [first, second] = [userA, userB].sort();
  return `dm_${createHash('sha256').update(`${first}\n${second}`).digest('base64url').slice(0, 27)}`;
}

export function newGroupThreadId(): string {
  return `g_${randomUUID().replace(/-/g, '')}`;
}

export function newMessageId(): string {
  return randomUUID();
}
