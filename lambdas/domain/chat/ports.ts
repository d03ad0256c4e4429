import type { StoredMessage } from '../messages';
import type { PairState } from '../user-pairs';
import type { Consent, HistoryForNewMembers, Member, MemberRole, ThreadHead, ThreadPosition, UserThread } from './threads';

/** What a send produced, kept by (sender, clientMsgId) so that a retried send answers the same. */
export interface SendRecord {
  readonly threadId: string;
  readonly seq: number;
  readonly messageId: string;
  readonly sentAt: number;
  /**
   * The digest of what was sent (`payloadDigest` of commit-message.ts), so that a retry can be
   * told from another message under the same clientMsgId without keeping the text. Absent on
   * records written before digests were kept.
   */
  readonly payloadDigest?: string;
}

/** What the thread store knows before a send. */
export interface SendContext {
  /** The thread, or undefined when a one-to-one thread does not exist yet. */
  readonly thread?: ThreadHead;
  readonly senderIsMember: boolean;
  /** Where the sender stands on the thread, when they were put in it by request (threads.ts, `Consent`). */
  readonly senderConsent?: Consent;
  /** Who put the sender in by request, when they did. */
  readonly senderRequestedBy?: string;
  /**
   * For a one-to-one thread (existing or not), the state of its two users' pair, when it has one;
   * read in the same round trip as the thread.
   */
  readonly pair?: PairState;
  /** The earlier send with the same clientMsgId, if any. */
  readonly previous?: SendRecord;
}

/** How committing a message ended. */
export type CommitOutcome =
  | { readonly outcome: 'committed' }
  /** Another message took the seq first (or the write conflicted); `lastSeq` is the thread's seq now, when the store knows it. */
  | { readonly outcome: 'seq_taken'; readonly lastSeq?: number }
  /** A send with the same clientMsgId committed first. */
  | { readonly outcome: 'duplicate' }
  /** The sender is no longer a member (removed meanwhile). */
  | { readonly outcome: 'not_member' };

export interface CommitRequest {
  readonly message: StoredMessage;
  /** Kept in the send record: what a later send with the same clientMsgId is compared with. */
  readonly payloadDigest: string;
  /**
   * Creates the one-to-one thread of these two users along with its first message, and records
   * that the sender (the first of the two) accepts messages from the other.
   */
  readonly createDirectThread?: readonly [string, string];
  /** With `createDirectThread`: the recipient lands in it by request (they have not accepted the sender). */
  readonly recipientByRequest?: boolean;
  /**
   * Checks again, in the same write, that the sender is still a member: a group's members can
   * change between the read and the commit; a one-to-one thread's two never do.
   */
  readonly recheckMembership: boolean;
}

/** What an add of members did. */
export interface AddOutcome {
  /** The users who became members. */
  readonly added: string[];
  /** The users left out because the group was full (another add took the room meanwhile). */
  readonly refused: string[];
  /** The users left out because concurrent changes kept the store's writes from holding: the group is busy. */
  readonly unsettled?: string[];
}

/** A removal, planned from the members as the caller read them. */
export interface Removal {
  readonly userId: string;
  /** The role the member had when read: the removal holds only while it still has it. */
  readonly role: Member['role'];
  /** Who becomes admin in the same write, when the last admin leaves others behind. */
  readonly successor?: string;
}

export type RemovalOutcome = 'removed' | 'changed';

/** One user's membership of a thread. */
export interface Membership {
  readonly role: MemberRole;
  readonly consent?: Consent;
  /** The thread's `lastSeq` when they joined (0 for founding members). */
  readonly joinedSeq: number;
  readonly requestedBy?: string;
}

/** How members join a group: who of them by request (and from whom), and where the thread stood. */
export interface Joining {
  /** Those who land by request: they have not accepted `requestedBy`. */
  readonly requests: readonly string[];
  readonly requestedBy: string;
  /** The thread's `lastSeq` as the add read it. */
  readonly joinedSeq: number;
}

/** Members who join as ordinary members at a thread's start. */
export const PLAIN_JOINING: Joining = { requests: [], requestedBy: '', joinedSeq: 0 };

/** Threads, memberships, staged messages and send records. */
export interface ThreadStore {
  loadSendContext(threadId: string, senderId: string, clientMsgId: string): Promise<SendContext>;
  /**
   * Atomically: the thread's `lastSeq` moves from `message.seq - 1` to `message.seq`, the message is
   * staged (durable, readable before history has it), the send is recorded, and the sender's
   * membership holds. Nothing is written unless all of it is.
   */
  commitMessage(request: CommitRequest): Promise<CommitOutcome>;
  /** The current members of a thread. */
  membersOf(threadId: string): Promise<string[]>;
  /** One user's membership, read strongly; undefined when they are not a member (or there is no such thread). */
  membership(threadId: string, userId: string): Promise<Membership | undefined>;
  /** The thread head, read strongly. */
  head(threadId: string): Promise<ThreadHead | undefined>;
  /** Staged messages of a thread with `fromSeq <= seq <= toSeq`, ascending. */
  stagedMessages(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]>;
  /**
   * Creates a group whose first admin is `creator`, all or nothing as far as anyone can see: until
   * it is complete, no read finds it.
   */
  createGroup(head: ThreadHead, creator: string, members: readonly string[], now: number, joining?: Joining): Promise<void>;
  /**
   * Adds members in atomic steps, each only while the group stays within `maxMembers`, whatever
   * else changes it meanwhile. Users already members stay as they are (receipts included) and are
   * neither added nor counted again. A step the cap refuses ends the add: `refused` are the users
   * it left out.
   */
  addMembers(threadId: string, userIds: readonly string[], maxMembers: number, now: number, joining?: Joining): Promise<AddOutcome>;
  /**
   * Removes a member in one write: membership, their row in their thread list, and, if given, the
   * successor's promotion to admin. Nothing is written, and the answer is `changed`, when the
   * member's role or the successor's changed since they were read, or when an admin would leave
   * without a successor while no other admin stays.
   */
  removeMember(threadId: string, removal: Removal): Promise<RemovalOutcome>;
  /** The members with their roles, where they stand on a request, and when they joined. */
  membersWithRoles(threadId: string): Promise<Member[]>;
  /**
   * A member accepts the thread they were put in by request: the request mark goes, and, when
   * `acceptedUserId` is given, the member now accepts messages from that user (their pair).
   * Returns false when the user is no longer a member.
   */
  acceptRequest(threadId: string, userId: string, acceptedUserId?: string): Promise<boolean>;
  /** A member declines a one-to-one request: it stays declined until they accept it. False when it is not a request of theirs. */
  declineRequest(threadId: string, userId: string): Promise<boolean>;
  /** Changes a group's setting of what new members may read. */
  setHistoryForNewMembers(threadId: string, setting: HistoryForNewMembers): Promise<void>;
  /** Heads of many threads (missing ones left out). */
  heads(threadIds: readonly string[]): Promise<ThreadHead[]>;
  /**
   * One page of a user's thread rows by their stored `lastActivity`, newest first (at most `atMost`
   * when given), and where the next page starts. A row's stored activity may lag its thread's by up
   * to ROW_ACTIVITY_LAG_MS (threads.ts): the relay moves rows only that far behind.
   */
  positionsByActivity(userId: string, limit: number, atMost?: number, after?: ThreadPosition): Promise<{ positions: ThreadPosition[]; next?: ThreadPosition }>;
  /** A user's rows of these threads, with their receipts (missing ones left out). */
  userThreads(userId: string, threadIds: readonly string[]): Promise<UserThread[]>;
  /** The current members of a thread and the activity its member rows were last moved to (none before the first move). */
  membersAndRowActivity(threadId: string): Promise<{ members: string[]; rowActivity?: number }>;
  /** Moves the members' rows of a thread forward to a newer message (never back), then marks the thread's rows moved to it. */
  advanceActivity(threadId: string, members: readonly string[], seq: number, at: number): Promise<void>;
  /**
   * Moves a receipt forward to `seq`; `read` also counts as `delivered` (a delivered receipt at or
   * below the read one does not move). Returns false when the receipt was already at or past `seq`.
   */
  advanceReceipt(userId: string, threadId: string, seq: number, status: 'delivered' | 'read'): Promise<boolean>;
}

/** The queue to the persistence function. */
export interface MessageQueue {
  /** Hands messages to history, in as few requests as the queue allows; returns those it could not hand over. */
  enqueueAll(messages: readonly StoredMessage[]): Promise<StoredMessage[]>;
}

/** Where a staged message is: its thread and seq. */
export interface StagedKey {
  readonly threadId: string;
  readonly seq: number;
}

/**
 * The outbox: messages staged by their commit, each kept until history has it, and marked once
 * it has been delivered to the members (and push asked for), by the send or by the relay.
 */
export interface StagedMessages {
  /** One staged message, read strongly; undefined once history has it and it was released. */
  staged(key: StagedKey): Promise<{ readonly message: StoredMessage; readonly delivered: boolean } | undefined>;
  /** Of these staged messages, the ones still staged and not marked delivered, read strongly. */
  undelivered(keys: readonly StagedKey[]): Promise<StoredMessage[]>;
  /** Marks a staged message delivered; one already released stays released. */
  markDelivered(key: StagedKey): Promise<void>;
  /** Releases staged messages that history holds; returns the ones that could not be released. */
  release(keys: readonly StagedKey[]): Promise<StagedKey[]>;
}

/** Reads of the history (Keyspaces). */
export interface HistoryReader {
  /** Messages of a thread with `fromSeq <= seq <= toSeq`, ascending. */
  range(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]>;
}

/** A connection to deliver to. */
export interface LiveConnection {
  readonly userId: string;
  readonly connectionId: string;
}

export interface ConnectionDirectory {
  /**
   * Each user's connections (every user given is a key; none for a user with none), as registered
   * when the lookup began: a connection opened before it is never missed. One closed or gone stale
   * since may still be among them; a post to it finds that out, and `forget` drops it.
   */
  connectionsOf(userIds: readonly string[]): Promise<ReadonlyMap<string, readonly LiveConnection[]>>;
  /** Forgets a connection the gateway reported gone. */
  forget(connection: LiveConnection): Promise<void>;
}

/** Posts frames to connections; `gone` when the gateway says the connection no longer exists. */
export interface ConnectionNotifier {
  post(connectionId: string, frame: object): Promise<'delivered' | 'gone'>;
}

/** Push notifications for members who are not connected: one request per message. */
export interface PushRequester {
  request(push: { recipients: string[]; senderId: string; threadId: string; seq: number; preview: string }): Promise<void>;
}

/** How a frame's delivery to users went. */
export interface DeliveryReport {
  readonly delivered: number;
  readonly gone: number;
  readonly failed: number;
  /** Users with no live connection at all: the ones to reach by push instead. */
  readonly offline: string[];
  /** Users who had connections, every one of which the gateway reported gone: offline too. */
  readonly unreachable: string[];
}

/** What delivering a message tells as it goes, for logs and metrics (the handler's or the relay's). */
export interface DeliveryObserver {
  delivered(report: DeliveryReport): void;
  /** The push request could not be published: those members miss this notification. */
  pushFailed(error: unknown): void;
  /** The staged copy could not be marked delivered: the relay delivers it again (a duplicate that clients drop). */
  markFailed(error: unknown): void;
}

/** What a send tells as it goes, for logs and metrics: step by step, so that a later failure loses nothing told before it. */
export interface SendObserver extends DeliveryObserver {
  /** The message is durable: new, or (without its text) the one an earlier send with the same clientMsgId made. */
  committed(message: Omit<StoredMessage, 'text'>, isNew: boolean): void;
  /** The ack was posted to the sender's connection. */
  acked(): void;
  /** The ack could not be posted; the sender's retry gets it. */
  ackFailed(error: unknown): void;
  /** Delivery after the ack failed; the outbox relay delivers the message after its lease. */
  deliveryFailed(error: unknown): void;
}
