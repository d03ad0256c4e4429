import type { HistoryForNewMembersSetting, PushPlatform, ServerFrame, ServerFrameOf, UserPresence, UserSettings } from '../../protocol';
import { Connection, globalNetworkEvents, type ConnectionChange, type ConnectionState } from './connection';
import { ClientClosedError, ConnectionLostError, ProtocolError } from './errors';
import { Emitter } from './events';
import type { MessageHandle } from './message-handle';
import { Outbox } from './outbox';
import type { MessengerClientOptions } from './options';
import { MemoryOutboxStore } from './outbox-store';
import { Presence } from './presence';
import type { Thread } from './thread';
import { Threads, type MessageEvent } from './threads';
import { Typing, type TypingEvent } from './typing';
import { globalWebSocket } from './websocket';

/** Events of the client, by name. */
export interface MessengerEvents {
  message: MessageEvent;
  receipt: ServerFrameOf<'receipt'>;
  typing: TypingEvent;
  presence: UserPresence;
  /** A thread's membership, listing or own receipts changed. */
  thread: Thread;
  connection: ConnectionChange;
  /** An error no request was waiting for: a refused receipt or typing signal, an invalid server frame. */
  error: Error;
}

export type SendInput = { readonly text: string; readonly clientMsgId?: string } & ({ readonly to: string; readonly threadId?: never } | { readonly threadId: string; readonly to?: never });

/** A client of the messenger: one logical connection, the user's threads, an outbox, presence and typing. */
export class MessengerClient {
  private readonly events = new Emitter<MessengerEvents>();
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly threadList: Threads;
  private readonly presence: Presence;
  private readonly typingSignals: Typing;
  /** Sent messages whose receipts can still move them on, by thread. */
  private readonly sentHandles = new Map<string, MessageHandle[]>();
  private started: Promise<void> | undefined;

  constructor(options: MessengerClientOptions) {
    const random = options.random ?? Math.random;
    this.connection = new Connection(
      {
        url: options.url,
        token: options.token,
        tokenTransport: options.tokenTransport ?? 'subprotocol',
        deviceId: options.deviceId,
        WebSocket: options.WebSocket ?? globalWebSocket(),
        random,
        reconnect: options.reconnect ?? {},
        keepAliveMs: options.keepAliveMs ?? 5 * 60_000,
        pongTimeoutMs: options.pongTimeoutMs ?? 5_000,
        renewAfterMs: options.renewAfterMs ?? 115 * 60_000,
        requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
        network: options.network === undefined ? globalNetworkEvents() : (options.network ?? undefined),
      },
      {
        onState: (change) => this.events.emit('connection', change),
        onFrame: (frame, answered) => this.dispatch(frame, answered),
        onInvalidFrame: (error) => this.events.emit('error', error),
        onOpen: (reconnected) => this.opened(reconnected),
      },
    );
    const request = (frame: Parameters<Connection['request']>[0]) => this.connection.request(frame);
    this.outbox = new Outbox({
      store: options.outboxStore ?? new MemoryOutboxStore(),
      request: (frame, timeoutMs) => this.connection.request(frame, timeoutMs),
      random,
      retry: options.sendRetry ?? { initialDelayMs: 1_000 },
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      onSent: (handle) => this.sent(handle),
    });
    this.threadList = new Threads({
      request,
      post: (frame) => this.connection.post(frame),
      userId: () => this.connection.userId,
      autoAckDelivered: options.autoAckDelivered ?? true,
      deliveredAckDelayMs: options.deliveredAckDelayMs ?? 300,
      emitMessage: (event) => this.events.emit('message', event),
      emitThread: (thread) => this.events.emit('thread', thread),
      reportError: (error) => this.events.emit('error', error),
    });
    this.presence = new Presence({ request, emit: (user) => this.events.emit('presence', user) });
    this.typingSignals = new Typing({
      throttleMs: 1_000,
      stopAfterMs: options.typingStopMs ?? 3_000,
      expireAfterMs: options.typingExpiryMs ?? 5_000,
      post: (threadId, state) => void this.connection.post({ action: 'typing', threadId, state }),
      emit: (event) => this.events.emit('typing', event),
    });
  }

  /** Connects (and restores the outbox); resolves once the first socket is open. */
  connect(): Promise<void> {
    if (this.started === undefined) {
      this.connection.start();
      this.outbox.restore().catch((error: Error) => this.events.emit('error', error));
      this.started = this.connection.whenOpen();
    }
    return this.started;
  }

  /** Closes for good; unacked messages stay in the outbox store for the next client. */
  close(): void {
    this.outbox.close();
    this.threadList.close();
    this.typingSignals.close();
    this.connection.stop();
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** The user the latest token is for (its `sub`), once connecting has begun. */
  get userId(): string | undefined {
    return this.connection.userId;
  }

  on<Name extends keyof MessengerEvents>(name: Name, listener: (event: MessengerEvents[Name]) => void): () => void {
    return this.events.on(name, listener);
  }

  /** Sends a message through the outbox; throws `ProtocolError` at once for one the server would refuse. */
  send(input: SendInput): MessageHandle {
    const threadId = input.threadId;
    if (threadId !== undefined) this.typingSignals.stop(threadId);
    return this.outbox.enqueue({
      clientMsgId: input.clientMsgId ?? globalThis.crypto.randomUUID(),
      ...(input.to === undefined ? {} : { to: input.to }),
      ...(threadId === undefined ? {} : { threadId }),
      text: input.text,
      createdAt: Date.now(),
    });
  }

  /** Messages not acked yet, restored ones included, in sending order. */
  pendingMessages(): MessageHandle[] {
    return this.outbox.pending;
  }

  thread(threadId: string): Thread {
    return this.threadList.get(threadId);
  }

  threads(): Thread[] {
    return this.threadList.all();
  }

  /** A page of the user's threads, most recent activity first; pass `cursor` on for the next. */
  listThreads(cursor?: string): Promise<{ threads: Thread[]; cursor?: string }> {
    return this.threadList.list(cursor);
  }

  markRead(threadId: string, seq?: number): void {
    this.thread(threadId).markRead(seq);
  }

  typing(threadId: string): void {
    this.typingSignals.typing(threadId);
  }

  stopTyping(threadId: string): void {
    this.typingSignals.stop(threadId);
  }

  /** Who is typing in a thread now. */
  typingIn(threadId: string): string[] {
    return this.typingSignals.typingIn(threadId);
  }

  watch(userIds: readonly string[]): Promise<void> {
    return this.presence.watch(userIds);
  }

  unwatch(userIds: readonly string[]): void {
    this.presence.unwatch(userIds);
  }

  presenceOf(userId: string): UserPresence | undefined {
    return this.presence.get(userId);
  }

  /** Creates a group; `historyForNewMembers` (default `all`) says what members added later may read. */
  async createGroup(name: string, members: string[], options: { historyForNewMembers?: HistoryForNewMembersSetting } = {}): Promise<Thread> {
    return this.membership({ action: 'createGroup', name, members, ...options });
  }

  /** Changes a group's settings (admins only). */
  async updateGroup(threadId: string, settings: { historyForNewMembers: HistoryForNewMembersSetting }): Promise<Thread> {
    return this.membership({ action: 'updateGroup', threadId, ...settings });
  }

  /** Blocks a user: neither of you can message the other one to one, add the other to a group, or see the other typing. */
  async block(userId: string): Promise<void> {
    await this.connection.request({ action: 'blockUser', userId });
  }

  async unblock(userId: string): Promise<void> {
    await this.connection.request({ action: 'unblockUser', userId });
  }

  /** The users you have blocked, a page at a time: pass `cursor` back for the next. */
  async listBlocks(cursor?: string): Promise<{ userIds: string[]; cursor?: string }> {
    const reply = (await this.connection.request({ action: 'listBlocks', ...(cursor === undefined ? {} : { cursor }) })) as ServerFrameOf<'blocks'>;
    return { userIds: reply.userIds, ...(reply.cursor === undefined ? {} : { cursor: reply.cursor }) };
  }

  /** Accepts a message request: the thread becomes an ordinary one (pushed, receipts shared). Sending into it accepts it too. */
  async acceptRequest(threadId: string): Promise<Thread> {
    await this.connection.request({ action: 'acceptRequest', threadId });
    const thread = this.thread(threadId);
    // What arrived while it was a request is acked now, not before: a receipt would have told a stranger you were online.
    this.threadList.noteAcceptedByUser(thread);
    return thread;
  }

  /** Declines a message request: a one-to-one one goes quiet and off the list; a group one is left. */
  async declineRequest(threadId: string): Promise<void> {
    await this.connection.request({ action: 'declineRequest', threadId });
  }

  async addMembers(threadId: string, userIds: string[]): Promise<Thread> {
    return this.membership({ action: 'addMembers', threadId, userIds });
  }

  async removeMember(threadId: string, userId: string): Promise<Thread> {
    return this.membership({ action: 'removeMember', threadId, userId });
  }

  /** Leaves a group: removes the user themselves. */
  async leave(threadId: string): Promise<Thread> {
    await this.connection.whenOpen();
    return this.removeMember(threadId, this.connection.userId!);
  }

  async registerPush(platform: PushPlatform, token: string): Promise<void> {
    await this.connection.request({ action: 'registerPush', platform, token });
  }

  async unregisterPush(platform: PushPlatform, token: string): Promise<void> {
    await this.connection.request({ action: 'unregisterPush', platform, token });
  }

  /**
   * The user's settings: active status (seen online, and seeing others), presence audience
   * (`everyone` by default, or `threads`: only people who share an accepted thread with you),
   * push previews, and request notifications (message requests pushed like any message by
   * default; off, nothing is pushed for a request until you accept it).
   */
  async getSettings(): Promise<UserSettings> {
    return settingsOf((await this.connection.request({ action: 'getSettings' })) as ServerFrameOf<'settings'>);
  }

  /**
   * Changes some of the user's settings and returns them all as they now are. With active status
   * off, everyone you watch shows offline (without `lastSeen`), and you show so to them; with the
   * `threads` audience, so do people who share no accepted thread with you.
   */
  async updateSettings(changes: Partial<UserSettings>): Promise<UserSettings> {
    return settingsOf((await this.connection.request({ action: 'updateSettings', ...changes })) as ServerFrameOf<'settings'>);
  }

  private async membership(frame: Parameters<Connection['request']>[0]): Promise<Thread> {
    const reply = (await this.connection.request(frame)) as ServerFrameOf<'thread'>;
    return this.thread(reply.threadId);
  }

  private opened(reconnected: boolean): void {
    // Work cut short by the next drop (or by closing) is done again by the next open.
    const report = (error: Error) => {
      if (!(error instanceof ConnectionLostError || error instanceof ClientClosedError)) this.events.emit('error', error);
    };
    this.presence.resubscribe().catch(report);
    if (reconnected) this.threadList.catchUp().catch(report);
  }

  private dispatch(frame: ServerFrame, answered: boolean): void {
    switch (frame.type) {
      case 'message': {
        const { type: _type, threadId, ...message } = frame;
        this.typingSignals.end(threadId, message.senderId);
        this.threadList.receive(threadId, [message], 'live');
        this.reconsiderPresence([message.senderId]);
        return;
      }
      case 'ack':
        this.outbox.noteAck(frame);
        return;
      case 'receipt':
        this.receipt(frame);
        return;
      case 'thread':
        this.threadList.applyMembership(frame);
        this.reconsiderPresence(frame.members);
        return;
      case 'presence':
        this.presence.apply(frame.users);
        return;
      case 'typing':
        this.typingSignals.signal(frame.threadId, frame.userId, frame.state);
        return;
      case 'error':
        // A request's error has rejected it already; this is one nobody waited for.
        if (!answered) this.events.emit('error', new ProtocolError(frame.code, frame.message, frame.retryAfterMs));
        return;
      default:
        // Replies (threads, messages, pong, push) are their requests' business.
        return;
    }
  }

  private sent(handle: MessageHandle): void {
    const threadId = handle.threadId!;
    const handles = this.sentHandles.get(threadId) ?? [];
    this.sentHandles.set(threadId, [...handles, handle]);
    const { seq, messageId, sentAt, clientMsgId, text } = handle;
    this.threadList.receive(threadId, [{ seq: seq!, messageId: messageId!, sentAt: sentAt!, clientMsgId, text, senderId: this.connection.userId! }], 'sent');
    if (handle.entry.to !== undefined) this.reconsiderPresence([handle.entry.to]);
  }

  /** Sharing a thread is what lets two users see each other's presence: ask again about those who showed hidden. */
  private reconsiderPresence(userIds: readonly string[]): void {
    this.presence.reconsider(userIds).catch((error: Error) => {
      if (!(error instanceof ConnectionLostError || error instanceof ClientClosedError)) this.events.emit('error', error);
    });
  }

  private receipt(frame: ServerFrameOf<'receipt'>): void {
    this.thread(frame.threadId).applyReceipt(frame.userId, frame.seq, frame.status);
    const handles = this.sentHandles.get(frame.threadId) ?? [];
    for (const handle of handles) if (handle.seq! <= frame.seq) handle.markReceipt(frame.status);
    // Read messages can move no further.
    this.sentHandles.set(frame.threadId, handles.filter((handle) => handle.state !== 'read'));
    this.events.emit('receipt', frame);
  }
}

function settingsOf({ activeStatus, pushPreviews, presenceAudience, requestNotifications }: ServerFrameOf<'settings'>): UserSettings {
  return { activeStatus, pushPreviews, presenceAudience, requestNotifications };
}
