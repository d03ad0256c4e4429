import { MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL, type ServerFrame, type UserPresence } from '../../protocol';
import { ConnectionLostError } from './errors';

export interface PresenceOptions {
  readonly request: (frame: { action: 'subscribePresence'; userIds: string[] }) => Promise<ServerFrame>;
  readonly emit: (presence: UserPresence) => void;
}

/**
 * The users this client watches and their last known `status` and `lastSeen`. Subscriptions end
 * with each connection, so every new one subscribes to all of them again.
 */
export class Presence {
  private readonly watched = new Set<string>();
  private readonly known = new Map<string, UserPresence>();

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
