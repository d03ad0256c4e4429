import { MessengerClient, ProtocolError, type ConnectionState, type MessageHandle, type Thread, type ThreadMessage, type UserPresence } from '@messenger/client';
import type { WebConfig } from './config';
import { Consent } from './consent';
import { fetchDevToken } from './dev-token';
import { IndexedDbOutboxStore } from './indexeddb-outbox-store';
import { LatestRateLimit } from './rate-limits';
import { ThreadDirectory } from './thread-directory';

/** Messages fetched at a time when a chat opens or scrolls back. */
export const PAGE_SIZE = 30;

/** What the chat view shows: a thread, or a one-to-one chat with someone not written to yet. */
export type Selection = { readonly threadId: string } | { readonly peer: string } | undefined;

/** A message as the chat view shows it: the thread's own, or one of this tab's still on its way. */
export interface ShownMessage {
  readonly key: string;
  readonly senderId: string;
  readonly text: string;
  readonly sentAt: number | undefined;
  /** Only for the user's own messages. */
  readonly status?: 'sending' | 'sent' | 'delivered' | 'read' | 'failed';
}

/**
 * One signed-in tab: the SDK client and what the UI derives from it (which chat is open, which
 * threads are chats and which requests, whom the user blocked, messages that failed). Every change
 * calls the listeners, and the UI renders again from here.
 */
export class Session {
  readonly client: MessengerClient;
  selection: Selection;
  connection: ConnectionState = 'connecting';
  /** The latest error to tell the user about. */
  notice: string | undefined;
  /** The latest `rate_limited` answer, until its wait is over. */
  readonly rateLimit = new LatestRateLimit(() => this.changed());
  readonly consent: Consent;
  readonly directory: ThreadDirectory;
  private readonly listeners = new Set<() => void>();
  private readonly failed: MessageHandle[] = [];
  private readonly watched = new Set<string>();

  constructor(
    readonly userId: string,
    readonly deviceId: string,
    config: WebConfig,
  ) {
    this.client = new MessengerClient({
      url: config.webSocketUrl,
      token: () => fetchDevToken(userId),
      deviceId,
      outboxStore: new IndexedDbOutboxStore(`${userId}/${deviceId}`),
      keepAliveMs: config.keepAliveMs,
      WebSocket: this.rateLimit.WebSocket,
    });
    this.consent = new Consent(this.client, () => this.changed());
    this.directory = new ThreadDirectory(this.client, userId, this.consent, (thread) => this.watchMembers(thread), () => this.changed());
    this.client.on('connection', ({ state }) => {
      this.connection = state;
      this.changed();
    });
    this.client.on('message', ({ threadId, message }) => this.received(threadId, message));
    this.client.on('thread', (thread) => {
      this.watchMembers(thread);
      // A group someone put the user in: its listing says whether it is a request.
      this.directory.heard(thread);
      this.changed();
    });
    for (const name of ['receipt', 'typing', 'presence'] as const) this.client.on(name, () => this.changed());
    this.client.on('error', (error) => console.warn('messenger:', error.message));
    document.addEventListener('visibilitychange', this.markOpenThreadRead);
  }

  async start(): Promise<void> {
    await this.client.connect();
    void this.attempt(this.consent.loadMoreBlocks());
    await this.directory.listAll();
    // The newest message of each thread, for the list; opening a thread loads a page before it.
    await Promise.all(this.directory.shown().filter((thread) => thread.messages.length === 0 && thread.lastSeq > 0).map((thread) => this.attempt(thread.loadOlder(1))));
    this.changed();
  }

  close(): void {
    document.removeEventListener('visibilitychange', this.markOpenThreadRead);
    this.directory.close();
    this.rateLimit.close();
    this.client.close();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The user's chats, requests aside, most recent activity first. */
  threads(): Thread[] {
    return this.directory.chats();
  }

  requests(): Thread[] {
    return this.directory.requests();
  }

  /** A one-to-one thread's other member, or undefined for a group. */
  peerOf(thread: Thread): string | undefined {
    return this.directory.peerOf(thread);
  }

  titleOf(thread: Thread): string {
    return thread.kind === 'group' ? (thread.name ?? 'Group') : (this.peerOf(thread) ?? 'Chat');
  }

  /** Messages from others after the user's read receipt. */
  unreadIn(thread: Thread): number {
    const ownUnread = thread.messages.filter((message) => message.seq > thread.readSeq && message.senderId === this.userId).length;
    return Math.max(0, thread.unreadCount - ownUnread);
  }

  presenceOf(userId: string): UserPresence | undefined {
    return this.client.presenceOf(userId);
  }

  openThread(): Thread | undefined {
    return this.selection !== undefined && 'threadId' in this.selection ? this.client.thread(this.selection.threadId) : undefined;
  }

  /** Opens a thread: loads its newest page if needed and marks it read. */
  async open(selection: Selection): Promise<void> {
    if (selection !== undefined && 'peer' in selection) {
      const { peer } = selection;
      const existing = this.directory.shown().find((thread) => thread.kind !== 'group' && this.peerOf(thread) === peer);
      if (existing) selection = { threadId: existing.threadId };
      else this.watch([peer]);
    }
    this.selection = selection;
    this.changed();
    const thread = this.openThread();
    // The list loaded only the newest message (or none): fill the first screen.
    if (thread && thread.messages.length < PAGE_SIZE && thread.hasOlder) await this.attempt(thread.loadOlder(PAGE_SIZE));
    this.markOpenThreadRead();
    this.changed();
  }

  /** Scrolls back one page in the open thread. */
  async loadOlder(): Promise<void> {
    const thread = this.openThread();
    if (thread === undefined || !thread.hasOlder) return;
    await this.attempt(thread.loadOlder(PAGE_SIZE));
    this.changed();
  }

  /** The open chat's messages: the thread's, then this tab's on their way or failed. */
  messagesOfOpen(): ShownMessage[] {
    const thread = this.openThread();
    const peer = this.selection !== undefined && 'peer' in this.selection ? this.selection.peer : undefined;
    const shown: ShownMessage[] = (thread?.messages ?? []).map((message) => ({
      key: message.messageId,
      senderId: message.senderId,
      text: message.text,
      sentAt: message.sentAt,
      ...(message.senderId === this.userId ? { status: thread ? this.statusOf(thread, message.seq) : 'sent' } : {}),
    }));
    const ours = (handle: MessageHandle) => (thread !== undefined && handle.threadId === thread.threadId) || (peer !== undefined && handle.entry.to === peer);
    // A failed message stays among the pending ones until the outbox has forgotten it: show it once.
    const handles = new Map([...this.client.pendingMessages(), ...this.failed].map((handle) => [handle.clientMsgId, handle]));
    for (const handle of [...handles.values()].filter(ours)) {
      shown.push({ key: handle.clientMsgId, senderId: this.userId, text: handle.text, sentAt: undefined, status: handle.state === 'failed' ? 'failed' : 'sending' });
    }
    return shown;
  }

  send(text: string): void {
    const selection = this.selection;
    if (selection === undefined || text.trim() === '') return;
    try {
      const handle = this.client.send('threadId' in selection ? { threadId: selection.threadId, text } : { to: selection.peer, text });
      handle.onChange(() => {
        if (handle.state === 'failed') {
          this.failed.push(handle);
          this.notice = `Not sent: ${handle.error?.message ?? 'refused'}`;
          const peer = 'peer' in selection ? selection.peer : this.peerOf(this.client.thread(selection.threadId));
          if (handle.error?.code === 'forbidden' && peer !== undefined) this.consent.refusedSend(peer, handle.error.message);
        }
        this.changed();
      });
      handle.sent.then(
        (sent) => {
          if ('peer' in selection) {
            this.directory.started(sent.threadId!, selection.peer);
            if (this.selection === selection) this.selection = { threadId: sent.threadId! };
          }
          // Writing into a request (one declined before, say) accepts it.
          const thread = this.client.thread(sent.threadId!);
          thread.request = false;
          this.consent.wroteTo(thread.threadId, this.peerOf(thread));
          // Replying reads what came before.
          this.client.markRead(sent.threadId!, sent.seq!);
          this.changed();
        },
        () => undefined,
      );
    } catch (error) {
      this.notice = (error as Error).message;
    }
    this.changed();
  }

  typing(): void {
    const thread = this.openThread();
    if (thread) this.client.typing(thread.threadId);
  }

  /** Runs a membership change, telling the user if the server refuses it. */
  async act(change: (client: MessengerClient) => Promise<Thread>): Promise<Thread | undefined> {
    let thread: Thread | undefined;
    await this.perform(async () => {
      thread = await change(this.client);
      this.directory.actedOn(thread.threadId);
      this.watchMembers(thread);
    });
    return thread;
  }

  /** Runs an action; false, with the reason told to the user, if the server refuses it. */
  async perform(action: () => Promise<void>): Promise<boolean> {
    try {
      await action();
      this.notice = undefined;
      return true;
    } catch (error) {
      // Over the budget: the rate-limit notice says so, with the wait.
      if (!(error instanceof ProtocolError && error.code === 'rate_limited')) this.notice = (error as Error).message;
      return false;
    } finally {
      this.changed();
    }
  }

  /** Accepts a request: it moves to the chats, and is marked read now that the sender may know. */
  async accept(threadId: string): Promise<boolean> {
    const accepted = (await this.act((client) => client.acceptRequest(threadId))) !== undefined;
    if (accepted) this.markOpenThreadRead();
    return accepted;
  }

  /** Declines a request: it leaves the requests, and the chat closes. */
  async decline(threadId: string): Promise<void> {
    if (await this.perform(() => this.consent.decline(threadId))) await this.open(undefined);
  }

  dismissNotice(): void {
    this.notice = undefined;
    this.changed();
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Own message `seq`: read or delivered once another member's receipt covers it. */
  private statusOf(thread: Thread, seq: number): ShownMessage['status'] {
    const receipts = [...thread.receipts.values()];
    if (receipts.some((receipt) => receipt.readSeq >= seq)) return 'read';
    if (receipts.some((receipt) => receipt.deliveredSeq >= seq)) return 'delivered';
    return 'sent';
  }

  private received(threadId: string, message: ThreadMessage): void {
    // A thread first heard of through a message (even the user's own, sent from the outbox after a
    // reload): its listing says who is in it, and whether it is a request.
    this.directory.heard(this.client.thread(threadId));
    if (this.openThread()?.threadId === threadId) this.markOpenThreadRead();
    if (message.senderId !== this.userId) this.watch([message.senderId]);
    this.changed();
  }

  /** Marks what the user sees read: the open chat, while the page is visible; a request only once accepted, as Messenger does. */
  private readonly markOpenThreadRead = (): void => {
    const thread = this.openThread();
    if (thread === undefined || thread.request || document.visibilityState !== 'visible') return;
    const newest = thread.newestLoadedSeq;
    if (newest !== undefined && newest > thread.readSeq) thread.markRead(newest);
  };

  private watchMembers(thread: Thread): void {
    this.watch(thread.members.filter((member) => member !== this.userId));
  }

  private watch(userIds: string[]): void {
    const fresh = userIds.filter((userId) => !this.watched.has(userId));
    if (fresh.length === 0) return;
    for (const userId of fresh) this.watched.add(userId);
    void this.attempt(this.client.watch(fresh));
  }

  /** Awaits a fetch whose failure leaves the view as it was (the next reconnect or scroll tries again). */
  private async attempt<T>(work: Promise<T>): Promise<T | undefined> {
    try {
      return await work;
    } catch (error) {
      console.warn('messenger:', (error as Error).message);
      return undefined;
    }
  }
}
