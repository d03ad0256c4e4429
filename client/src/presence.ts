import { MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL, type ServerFrame, type UserPresence } from '../../protocol';
import { ConnectionLostError } from './errors';

export interface PresenceOptions {
  readonly request: (frame: { action: 'subscribePresence'; userIds: string[] }) => Promise<ServerFrame>;
  readonly emit: (presence: UserPresence) => void;
  /** The clock, epoch ms. */
  readonly now?: () => number;
}

/** A hidden user is asked about again at most this often, however many threads or messages bring them up. */
export const RECONSIDER_INTERVAL_MS = 60_000;

/**
 * The users this client watches and their last known `status` and `lastSeen`. Subscriptions end
 * with each connection, so every new one subscribes to all of them again.
 */
export class Presence {
  private readonly watched = new Set<string>();
  private readonly known = new Map<string, UserPresence>();
  /** When each hidden user was last asked about again. */
  private readonly reconsidered = new Map<string, number>();

  constructor(private readonly options: PresenceOptions) {}

  /** Watches more users; resolves once their current state is in (or the next connection will ask). */
  async watch(userIds: readonly string[]): Promise<void> {
    const fresh = [...new Set(userIds)].filter((userId) => !this.watched.has(userId));
    for (const userId of fresh) this.watched.add(userId);
    await this.subscribe(fresh);
  }

  /** Stops reporting changes of these users (the server's subscription lasts until the connection ends). */
  unwatch(userIds: readonly string[]): void {
    for (const userId of userIds) {
      this.watched.delete(userId);
      this.known.delete(userId);
    }
  }

  get(userId: string): UserPresence | undefined {
    return this.known.get(userId);
  }

  /**
   * Asks again about watched users who show as hidden (offline without `lastSeen`: the server's
   * answer for anyone the user may not see, so not subscribed to) now that something suggests they
   * may share a thread (a message from or to them, a group with them), which is when the server
   * starts letting them see each other if either limits their presence audience to threads. At
   * most once a minute per user.
   */
  reconsider(userIds: readonly string[]): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const hidden = [...new Set(userIds)].filter((userId) => {
      const state = this.known.get(userId);
      const asked = this.reconsidered.get(userId);
      return this.watched.has(userId) && state?.status !== 'online' && state?.lastSeen === undefined && (asked === undefined || now - asked >= RECONSIDER_INTERVAL_MS);
    });
    for (const userId of hidden) this.reconsidered.set(userId, now);
    return this.subscribe(hidden);
  }

  /** After every (re)connect: subscribe to everyone watched, again. */
  resubscribe(): Promise<void> {
    return this.subscribe([...this.watched]);
  }

  apply(users: readonly UserPresence[]): void {
    for (const user of users) {
      if (!this.watched.has(user.userId)) continue;
      const before = this.known.get(user.userId);
      this.known.set(user.userId, user);
      if (before?.status !== user.status || before?.lastSeen !== user.lastSeen) this.options.emit(user);
    }
  }

  private async subscribe(userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const batches: string[][] = [];
    for (let i = 0; i < userIds.length; i += MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL) batches.push(userIds.slice(i, i + MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL));
    try {
      // Replies are presence frames, applied as they arrive like any other.
      await Promise.all(batches.map((batch) => this.options.request({ action: 'subscribePresence', userIds: batch })));
    } catch (error) {
      // The next connection subscribes to everyone watched anyway.
      if (!(error instanceof ConnectionLostError)) throw error;
    }
  }
}
