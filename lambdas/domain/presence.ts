import { inPool } from './pool';
import type { ConnectionNotifier } from './chat/ports';

/** API Gateway's longest connection: a subscription cannot outlive it. */
export const MAX_CONNECTION_SECONDS = 2 * 3600;

/** Posts and lookups in flight at once when telling subscribers. */
const CONCURRENCY = 32;

export type PresenceStatus = 'online' | 'offline';

/** A user's presence as clients see it; `lastSeen` (epoch ms) only once they have been seen. */
export interface UserPresence {
  readonly userId: string;
  readonly status: PresenceStatus;
  readonly lastSeen?: number;
}

/** The last published status of each user: what a new subscriber is told. */
export interface PresenceStatusStore {
  statusesOf(userIds: readonly string[]): Promise<UserPresence[]>;
  /**
   * Records the user's new status unless it is already so; true when this call changed it. The
   * change happens once however many callers race, so each transition is published once.
   */
  changeStatus(presence: UserPresence, now: number): Promise<boolean>;
}

/** A subscriber: one connection, watching some users. */
export interface PresenceSubscriber {
  readonly userId: string;
  readonly connectionId: string;
}

/** Who watches whom, keyed by the watched user so that a change finds its subscribers in one Query. */
export interface PresenceSubscriptions {
  /** Subscribes the connection to each user until `expiresAt` (epoch seconds) at the latest. */
  subscribe(subscriber: PresenceSubscriber, watchedUserIds: readonly string[], expiresAt: number): Promise<void>;
  /** The connections watching the user. */
  subscribersOf(watchedUserId: string): Promise<string[]>;
  /** Ends every subscription of a connection. */
  endSubscriptionsOf(connectionId: string): Promise<void>;
}

/**
 * Subscribes a connection and returns the users' current state. The subscriptions are written
 * before the state is read, so a change that lands between the two is pushed, not lost.
 */
export async function subscribeToPresence({
  subscriber,
  userIds,
  now,
  subscriptions,
  statuses,
}: {
  readonly subscriber: PresenceSubscriber;
  readonly userIds: readonly string[];
  readonly now: number;
  readonly subscriptions: PresenceSubscriptions;
  readonly statuses: PresenceStatusStore;
}): Promise<UserPresence[]> {
  const unique = [...new Set(userIds)];
  // A subscription ends with its connection, which API Gateway closes after its longest life at the latest.
  await subscriptions.subscribe(subscriber, unique, Math.floor(now / 1000) + MAX_CONNECTION_SECONDS);
  const known = new Map((await statuses.statusesOf(unique)).map((presence) => [presence.userId, presence]));
  return unique.map((userId) => known.get(userId) ?? { userId, status: 'offline' });
}

/**
 * A connection record appearing or disappearing (DynamoDB Streams INSERT and REMOVE on the
 * connection registry), whatever removed it: `$disconnect`, a 410 found on a post, or the sweep
 * of stale connections.
 */
export interface ConnectionChange {
  readonly kind: 'opened' | 'closed';
  readonly userId: string;
  readonly connectionId: string;
  /** Epoch ms at which the change was seen. */
  readonly at: number;
  /** Epoch ms of the connection's last proven activity. */
  readonly lastActiveAt: number;
  /** Epoch seconds after which the connection counted as stale. */
  readonly expiresAt: number;
}

/** The connection registry as presence reads it. */
export interface LiveConnectionCounter {
  /**
   * How many of the user's connections are live, read strongly consistently: counted after a
   * connection opened or closed, the count includes that change.
   */
  countLiveConnections(userId: string): Promise<number>;
}

export interface PresencePorts {
  readonly connections: LiveConnectionCounter;
  readonly statuses: PresenceStatusStore;
  readonly subscriptions: PresenceSubscriptions;
  readonly notifier: ConnectionNotifier;
}

export interface PresenceReport {
  /** Users whose status changed, as published. */
  readonly changed: UserPresence[];
  /** Users whose changes could not be worked out, with why; their records are to be retried. */
  readonly failures: Array<{ readonly userId: string; readonly error: unknown }>;
  readonly delivered: number;
  /** Posts that failed other than with 410, with why: those subscribers catch up on their next subscribePresence. */
  readonly failedPosts: unknown[];
}

/**
 * When a connection closed, the user was last seen then; when it went stale, at its last activity.
 */
function lastSeenFrom(change: ConnectionChange): number {
  const wentStale = change.expiresAt * 1000 <= change.at;
  return wentStale ? Math.min(change.lastActiveAt, change.at) : change.at;
}

/**
 * Works out, for each user whose connections changed, whether they are now online (at least one
 * live connection) or offline, records it, and pushes each real change to the user's subscribers,
 * one frame per subscriber connection. The status is read from the registry as it is now, not
 * inferred from the changes, so replaying a change (a retried batch) publishes nothing twice.
 */
export async function publishPresenceChanges({
  changes,
  now,
  ...ports
}: PresencePorts & { readonly changes: readonly ConnectionChange[]; readonly now: number }): Promise<PresenceReport> {
  const byUser = new Map<string, ConnectionChange[]>();
  for (const change of changes) byUser.set(change.userId, [...(byUser.get(change.userId) ?? []), change]);

  const changed: UserPresence[] = [];
  const failures: PresenceReport['failures'] = [];
  await inPool([...byUser], CONCURRENCY, async ([userId, userChanges]) => {
    try {
      for (const change of userChanges) {
        if (change.kind === 'closed') await ports.subscriptions.endSubscriptionsOf(change.connectionId);
      }
      const live = await ports.connections.countLiveConnections(userId);
      const lastClose = userChanges.filter((change) => change.kind === 'closed').at(-1);
      const presence: UserPresence =
        live > 0
          ? { userId, status: 'online' }
          : { userId, status: 'offline', lastSeen: lastClose ? lastSeenFrom(lastClose) : now };
      if (await ports.statuses.changeStatus(presence, now)) changed.push(presence);
    } catch (error) {
      failures.push({ userId, error });
    }
  });

  const framesByConnection = new Map<string, UserPresence[]>();
  await inPool(changed, CONCURRENCY, async (presence) => {
    for (const connectionId of await ports.subscriptions.subscribersOf(presence.userId)) {
      framesByConnection.set(connectionId, [...(framesByConnection.get(connectionId) ?? []), presence]);
    }
  });
  let delivered = 0;
  const failedPosts: unknown[] = [];
  await inPool([...framesByConnection], CONCURRENCY, async ([connectionId, users]) => {
    try {
      const outcome = await ports.notifier.post(connectionId, { type: 'presence', users });
      if (outcome === 'gone') await ports.subscriptions.endSubscriptionsOf(connectionId);
      else delivered += 1;
    } catch (error) {
      // One bad post must not keep the change from the other subscribers.
      failedPosts.push(error);
    }
  });
  return { changed, failures, delivered, failedPosts };
}
