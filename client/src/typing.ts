/** A member typing in a thread, or no longer. */
export interface TypingEvent {
  readonly threadId: string;
  readonly userId: string;
  readonly typing: boolean;
}

export interface TypingOptions {
  /** Sends `typing` at most this often per thread (the server drops more). */
  readonly throttleMs: number;
  /** Sends `stop` after this long without a `typing()` call. */
  readonly stopAfterMs: number;
  /** Someone else's indicator goes out this long after their last signal. */
  readonly expireAfterMs: number;
  readonly post: (threadId: string, state: 'start' | 'stop') => void;
  readonly emit: (event: TypingEvent) => void;
}

/** Typing indicators both ways: the user's own, throttled and stopped by themselves, and others', expiring. */
export class Typing {
  private readonly own = new Map<string, { startedAt: number; stopTimer: ReturnType<typeof setTimeout> }>();
  private readonly others = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();

  constructor(private readonly options: TypingOptions) {}

  /** The user is typing in a thread: call it on every keystroke. */
  typing(threadId: string): void {
    const now = Date.now();
    const current = this.own.get(threadId);
    if (current !== undefined) clearTimeout(current.stopTimer);
    const startedAt = current === undefined || now - current.startedAt >= this.options.throttleMs ? now : current.startedAt;
    if (startedAt === now) this.options.post(threadId, 'start');
    this.own.set(threadId, { startedAt, stopTimer: setTimeout(() => this.stop(threadId), this.options.stopAfterMs) });
  }

  /** The user stopped typing (sent the message, cleared the field). */
  stop(threadId: string): void {
    const current = this.own.get(threadId);
    if (current === undefined) return;
    clearTimeout(current.stopTimer);
    this.own.delete(threadId);
    this.options.post(threadId, 'stop');
  }

  /** Who is typing in a thread now. */
  typingIn(threadId: string): string[] {
    return [...(this.others.get(threadId)?.keys() ?? [])];
  }

  /** Someone else's signal: `start` shows them for a while, `stop` or their message ends it. */
  signal(threadId: string, userId: string, state: 'start' | 'stop'): void {
    const users = this.others.get(threadId) ?? new Map<string, ReturnType<typeof setTimeout>>();
    this.others.set(threadId, users);
    const timer = users.get(userId);
    clearTimeout(timer);
    if (state === 'stop') {
      this.end(threadId, userId);
      return;
    }
    users.set(userId, setTimeout(() => this.end(threadId, userId), this.options.expireAfterMs));
    if (timer === undefined) this.options.emit({ threadId, userId, typing: true });
  }

  end(threadId: string, userId: string): void {
    const users = this.others.get(threadId);
    const timer = users?.get(userId);
    if (users === undefined || timer === undefined) return;
    clearTimeout(timer);
    users.delete(userId);
    this.options.emit({ threadId, userId, typing: false });
  }

  close(): void {
    for (const { stopTimer } of this.own.values()) clearTimeout(stopTimer);
    for (const users of this.others.values()) for (const timer of users.values()) clearTimeout(timer);
    this.own.clear();
    this.others.clear();
  }
}
