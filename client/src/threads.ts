import { DEFAULT_MESSAGES_PAGE, MAX_MESSAGES_PAGE, type ServerFrame, type ServerFrameOf, type ThreadListing, type ThreadMessage } from '../../protocol';
import { ConnectionLostError } from './errors';
import { Thread } from './thread';

/** A message new to this client: from a live frame, from the client's own send, or fetched to fill a gap or catch up. */
export interface MessageEvent {
  readonly threadId: string;
  readonly message: ThreadMessage;
  readonly source: 'live' | 'sent' | 'fetched';
}

export interface ThreadsOptions {
  readonly request: (frame: { action: 'getMessages' | 'listThreads' } & Record<string, unknown>) => Promise<ServerFrame>;
  /** Sends a receipt if a socket is open; false otherwise. */
  readonly post: (frame: { action: 'ack'; threadId: string; seq: number; status: 'delivered' | 'read' }) => boolean;
  readonly userId: () => string | undefined;
  readonly autoAckDelivered: boolean;
  /** How long an automatic delivered-ack waits for more messages of its thread, to ack them all in one. */
  readonly deliveredAckDelayMs: number;
  readonly emitMessage: (event: MessageEvent) => void;
  readonly emitThread: (thread: Thread) => void;
  readonly reportError: (error: Error) => void;
}

/**
 * Every thread the client knows, kept whole: a message that skips ahead fetches what it skipped,
 * a reconnect catches up each thread with new activity, receipts go out as messages arrive.
 */
export class Threads {
  private readonly byId = new Map<string, Thread>();
  private readonly filling = new Set<string>();
  /** Each thread's latest scroll-back, which the next one waits for. */
  private readonly olderLoads = new Map<string, Promise<ThreadMessage[]>>();
  /** Read receipts made while no socket was open, sent on the next connection. */
  private readonly unsentReads = new Map<string, number>();
  /**
   * Threads known not to be message requests: listed without `request`, accepted, or written to by
   * the user. Only those are acked automatically: a receipt in a stranger's request would tell
   * them when the user is online.
   */
  private readonly accepted = new Set<string>();
  /**
   * Threads the user accepted, or wrote into, on this client. A listing read before that (or from
   * an index not caught up yet) does not make them requests again; being added to the thread anew does.
   */
  private readonly acceptedByUser = new Set<string>();
  /** Threads whose automatic delivered-ack waits: for more messages (a timer), or to be known as no request (none). */
  private readonly heldAcks = new Map<string, ReturnType<typeof setTimeout> | undefined>();
  /** The listThreads page that tells whether new threads are requests, while one is on its way. */
  private learning: Promise<unknown> | undefined;

  constructor(private readonly options: ThreadsOptions) {}

  get(threadId: string): Thread {
    let thread = this.byId.get(threadId);
    if (thread === undefined) {
      thread = new Thread(threadId, { loadOlder: (view, limit) => this.loadOlder(view, limit), markRead: (id, seq) => this.markRead(id, seq) });
      this.byId.set(threadId, thread);
    }
    return thread;
  }

  all(): Thread[] {
    return [...this.byId.values()];
  }

  /** Adds messages to a thread, tells about the new ones, then fills any gap and acks delivery. */
  receive(threadId: string, messages: readonly ThreadMessage[], source: MessageEvent['source']): void {
    const thread = this.get(threadId);
    const added = thread.add(messages);
    for (const message of added) this.options.emitMessage({ threadId, message, source });
    if (added.length === 0) return;
    // Writing into a thread accepts it (docs/protocol.md, "Message requests").
    if (source === 'sent') this.noteAcceptedByUser(thread);
    if (thread.firstHole() !== undefined) void this.fillGaps(thread);
    else if (added.some((message) => message.senderId !== this.options.userId())) this.holdDeliveredAck(thread);
  }

  /** The user accepted the thread (acceptRequest) or wrote into it: no listing makes it a request again. */
  noteAcceptedByUser(thread: Thread): void {
    this.acceptedByUser.add(thread.threadId);
    this.noteAccepted(thread);
  }

  /** The thread is known to be no request: it is marked so, and what arrived is acked. */
  private noteAccepted(thread: Thread): void {
    thread.request = false;
    this.accepted.add(thread.threadId);
    if (this.heldAcks.has(thread.threadId) && this.heldAcks.get(thread.threadId) === undefined) {
      this.heldAcks.delete(thread.threadId);
      this.ackDelivered(thread);
    }
  }

  /** Stops the timers of held acks (the client closes). */
  close(): void {
    for (const timer of this.heldAcks.values()) if (timer !== undefined) clearTimeout(timer);
    this.heldAcks.clear();
  }

  applyMembership(frame: ServerFrameOf<'thread'>): void {
    const thread = this.get(frame.threadId);
    const userId = this.options.userId();
    // Added anew (after leaving, say): the thread may be a request again, as the next listing tells.
    if (userId !== undefined && !thread.members.includes(userId) && frame.members.includes(userId)) this.acceptedByUser.delete(thread.threadId);
    thread.applyMembership(frame);
    this.options.emitThread(thread);
  }

  applyListing(listing: ThreadListing): Thread {
    const thread = this.get(listing.threadId);
    const { request, ...rest } = listing;
    thread.applyListing(request === true && this.acceptedByUser.has(listing.threadId) ? rest : listing);
    if (!thread.request) this.noteAccepted(thread);
    else this.accepted.delete(thread.threadId);
    this.options.emitThread(thread);
    return thread;
  }

  async list(cursor?: string): Promise<{ threads: Thread[]; cursor?: string }> {
    const page = (await this.options.request({ action: 'listThreads', ...(cursor === undefined ? {} : { cursor }) })) as ServerFrameOf<'threads'>;
    return { threads: page.threads.map((listing) => this.applyListing(listing)), ...(page.cursor === undefined ? {} : { cursor: page.cursor }) };
  }

  markRead(threadId: string, seq: number): void {
    const thread = this.get(threadId);
    if (seq <= thread.readSeq) return;
    thread.readSeq = seq;
    thread.deliveredSeq = Math.max(thread.deliveredSeq, seq);
    this.options.emitThread(thread);
    if (this.options.post({ action: 'ack', threadId, seq, status: 'read' })) this.unsentReads.delete(threadId);
    else this.unsentReads.set(threadId, seq);
  }

  /**
   * After a reconnect: read receipts made offline go out, then `listThreads` pages (newest
   * activity first) until a page holds a known thread without news; each thread with news fetches
   * what came after the newest message it holds (or the `lastSeq` it knew), and a thread new to
   * the client its newest page.
   */
  async catchUp(): Promise<void> {
    for (const [threadId, seq] of this.unsentReads) {
      if (this.options.post({ action: 'ack', threadId, seq, status: 'read' })) this.unsentReads.delete(threadId);
    }
    let cursor: string | undefined;
    do {
      const before = new Map(this.all().map((thread) => [thread.threadId, thread.lastSeq]));
      const page = await this.list(cursor);
      let reachedOld = false;
      for (const thread of page.threads) {
        const knownSeq = before.get(thread.threadId);
        if (knownSeq !== undefined && thread.lastSeq <= knownSeq) reachedOld = true;
        // What the client holds, else what it knew of; a thread it never heard of shows its newest page.
        const from = thread.newestLoadedSeq ?? knownSeq;
        if (from === undefined) this.receive(thread.threadId, (await this.page(thread.threadId, { limit: DEFAULT_MESSAGES_PAGE })).messages, 'fetched');
        else if (thread.lastSeq > from) await this.fetchAfter(thread, from);
      }
      cursor = reachedOld ? undefined : page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * One scroll-back at a time per thread: a call made while another is on its way gets the page
   * before what that one brought, not the same page again (a view that asks twice, e.g. while the
   * first page of a chat is still loading, would otherwise stop a page short of where it meant to).
   */
  private loadOlder(thread: Thread, limit: number): Promise<ThreadMessage[]> {
    const previous = this.olderLoads.get(thread.threadId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.loadPageBefore(thread, limit));
    this.olderLoads.set(thread.threadId, next);
    const forget = () => {
      if (this.olderLoads.get(thread.threadId) === next) this.olderLoads.delete(thread.threadId);
    };
    next.then(forget, forget);
    return next;
  }

  private async loadPageBefore(thread: Thread, limit: number): Promise<ThreadMessage[]> {
    const oldest = thread.oldestLoadedSeq;
    if (oldest === 1) return [];
    const page = await this.page(thread.threadId, { ...(oldest === undefined ? {} : { beforeSeq: oldest }), limit });
    return thread.add(page.messages);
  }

  /** Fetches until the thread's first hole is closed, again while new holes appear. */
  private async fillGaps(thread: Thread): Promise<void> {
    if (this.filling.has(thread.threadId)) return;
    this.filling.add(thread.threadId);
    try {
      for (let hole = thread.firstHole(); hole !== undefined; hole = thread.firstHole()) {
        const before = thread.messages.length;
        await this.fetchAfter(thread, hole);
        if (thread.messages.length === before) break;
      }
    } catch (error) {
      // A lost connection is caught up after the reconnect.
      if (!(error instanceof ConnectionLostError)) this.options.reportError(error as Error);
    } finally {
      this.filling.delete(thread.threadId);
    }
  }

  /** Fetches every message after `seq`, page by page. */
  private async fetchAfter(thread: Thread, seq: number): Promise<void> {
    for (let afterSeq = seq; ; ) {
      const page = await this.page(thread.threadId, { afterSeq, limit: MAX_MESSAGES_PAGE });
      this.receive(thread.threadId, page.messages, 'fetched');
      const last = page.messages[page.messages.length - 1];
      if (!page.hasMore || last === undefined) return;
      afterSeq = last.seq;
    }
  }

  private async page(threadId: string, range: { afterSeq?: number; beforeSeq?: number; limit: number }) {
    return (await this.options.request({ action: 'getMessages', threadId, ...range })) as ServerFrameOf<'messages'>;
  }

  /**
   * Acks delivery a moment later, once for everything that arrived meanwhile: a busy thread gets
   * one receipt per delay, not one per message (each tells every member, and is paid from the
   * user's acks budget). A thread not known to be accepted waits until it is.
   */
  private holdDeliveredAck(thread: Thread): void {
    if (!this.options.autoAckDelivered || this.heldAcks.get(thread.threadId) !== undefined) return;
    const timer = setTimeout(() => {
      this.heldAcks.delete(thread.threadId);
      if (this.accepted.has(thread.threadId)) this.ackDelivered(thread);
      else if (thread.request) this.heldAcks.set(thread.threadId, undefined);
      else void this.learn(thread);
    }, this.options.deliveredAckDelayMs);
    this.heldAcks.set(thread.threadId, timer);
  }

  /** Finds out whether a thread new to the client is a request (the newest listThreads page holds it), then acks it or holds the ack. */
  private async learn(thread: Thread): Promise<void> {
    this.heldAcks.set(thread.threadId, undefined);
    this.learning ??= this.list().finally(() => (this.learning = undefined));
    try {
      await this.learning;
    } catch (error) {
      if (!(error instanceof ConnectionLostError)) this.options.reportError(error as Error);
    }
    // Listed as no request, it was acked by noteAccepted; otherwise the ack waits for an accept or a later listing.
  }

  private ackDelivered(thread: Thread): void {
    const newest = thread.newestLoadedSeq;
    if (!this.options.autoAckDelivered || newest === undefined || newest <= thread.deliveredSeq) return;
    if (this.options.post({ action: 'ack', threadId: thread.threadId, seq: newest, status: 'delivered' })) thread.deliveredSeq = newest;
  }
}
