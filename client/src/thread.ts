import type { HistoryForNewMembersSetting, ReceiptStatus, ThreadKind, ThreadListing, ThreadMessage } from '../../protocol';

/** What a thread needs from the client to scroll back and to mark itself read. */
export interface ThreadActions {
  loadOlder(thread: Thread, limit: number): Promise<ThreadMessage[]>;
  markRead(threadId: string, seq: number): void;
}

/** Another member's receipts in a thread, as far as this client has heard. */
export interface MemberReceipts {
  readonly deliveredSeq: number;
  readonly readSeq: number;
}

/**
 * One thread as this client knows it: its messages ordered by `seq` without duplicates, how far
 * the thread goes (`lastSeq`), and the user's own receipts, which give the unread count.
 */
export class Thread {
  private loaded: ThreadMessage[] = [];
  private readonly messageIds = new Set<string>();
  readonly receipts = new Map<string, MemberReceipts>();
  kind: ThreadKind | undefined;
  name: string | undefined;
  members: readonly string[] = [];
  admins: readonly string[] = [];
  /** A message request not accepted yet: show it apart, and `acceptRequest` or `declineRequest` it. */
  request = false;
  /** Groups: what members added later may read (`all` or `sinceJoined`). */
  historyForNewMembers: HistoryForNewMembersSetting | undefined;
  /** The newest message's seq as far as this client knows; 0 for none. */
  lastSeq = 0;
  deliveredSeq = 0;
  readSeq = 0;

  constructor(
    readonly threadId: string,
    private readonly actions: ThreadActions,
  ) {}

  /** The loaded messages, ascending by `seq`. */
  get messages(): readonly ThreadMessage[] {
    return this.loaded;
  }

  get unreadCount(): number {
    return Math.max(0, this.lastSeq - this.readSeq);
  }

  get oldestLoadedSeq(): number | undefined {
    return this.loaded[0]?.seq;
  }

  get newestLoadedSeq(): number | undefined {
    return this.loaded[this.loaded.length - 1]?.seq;
  }

  /** Whether older messages than the loaded ones exist (or nothing is loaded yet while some exist). */
  get hasOlder(): boolean {
    const oldest = this.oldestLoadedSeq;
    return oldest === undefined ? this.lastSeq > 0 : oldest > 1;
  }

  /** Scrolls back: the page before the oldest loaded message (the newest page when none is loaded). */
  loadOlder(limit = 50): Promise<ThreadMessage[]> {
    return this.actions.loadOlder(this, limit);
  }

  /** Marks the thread read up to `seq` (by default everything known). */
  markRead(seq = this.lastSeq): void {
    this.actions.markRead(this.threadId, seq);
  }

  /** Adds messages in `seq` order; returns those it did not hold yet. */
  add(messages: readonly ThreadMessage[]): ThreadMessage[] {
    const added = messages.filter((message) => {
      if (this.messageIds.has(message.messageId)) return false;
      this.messageIds.add(message.messageId);
      return true;
    });
    if (added.length === 0) return added;
    this.loaded = [...this.loaded, ...added].sort((a, b) => a.seq - b.seq);
    this.lastSeq = Math.max(this.lastSeq, this.loaded[this.loaded.length - 1].seq);
    return added;
  }

  /** The seq after which loaded messages are missing (the first hole), if there is one. */
  firstHole(): number | undefined {
    for (let i = 1; i < this.loaded.length; i++) {
      if (this.loaded[i].seq > this.loaded[i - 1].seq + 1) return this.loaded[i - 1].seq;
    }
    return undefined;
  }

  /** Takes a `listThreads` row as the truth about the thread, without moving anything backwards. */
  applyListing(listing: ThreadListing): void {
    this.kind = listing.kind;
    this.name = listing.name;
    this.members = listing.members;
    this.request = listing.request === true;
    this.lastSeq = Math.max(this.lastSeq, listing.lastSeq);
    this.deliveredSeq = Math.max(this.deliveredSeq, listing.deliveredSeq);
    this.readSeq = Math.max(this.readSeq, listing.readSeq);
  }

  applyMembership(view: { kind: ThreadKind; name?: string; members: string[]; admins: string[]; historyForNewMembers?: HistoryForNewMembersSetting }): void {
    this.kind = view.kind;
    this.name = view.name;
    this.members = view.members;
    this.admins = view.admins;
    this.historyForNewMembers = view.historyForNewMembers;
  }

  /** Records another member's cumulative receipt; `read` implies `delivered`. */
  applyReceipt(userId: string, seq: number, status: ReceiptStatus): void {
    const before = this.receipts.get(userId) ?? { deliveredSeq: 0, readSeq: 0 };
    this.receipts.set(userId, {
      deliveredSeq: Math.max(before.deliveredSeq, seq),
      readSeq: status === 'read' ? Math.max(before.readSeq, seq) : before.readSeq,
    });
  }
}
