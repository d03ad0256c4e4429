import { MAX_PRESENCE_SUBSCRIPTIONS_PER_CONNECTION, MAX_PRESENCE_SUBSCRIPTIONS_PER_USER } from '../../protocol/client-frames';
import { presenceSubscriptionUnits, type Purse } from './budget';
import { BadRequestError } from './errors';
import { inPool } from './pool';
import type { ConnectionNotifier } from './chat/ports';
import { presenceAudience, type PresenceVisibilityPorts } from './presence-visibility';

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

/** A recorded change of a user's status, numbered so that its publication can be confirmed. */
export interface PresenceTransition {
  readonly presence: UserPresence;
  /** The user's status version that this change made; each change makes a higher one. */
  readonly version: number;
}

/**
 * Each user's status and whether its last change is yet to reach every subscriber: what a new
 * subscriber is told, and what a retried publication sends again.
 */
export interface PresenceStatusStore {
  /** The users' statuses, read strongly consistently: a change recorded before the call is in the answer. */
  statusesOf(userIds: readonly string[]): Promise<UserPresence[]>;
  /**
   * Records the user's status and returns the transition still to be published: this change when
   * the status differed (it changes once however many callers race); when it was already so, the
   * change that made it so if its publication was never confirmed (a failed publish, retried);
   * otherwise nothing.
   */
  recordStatus(presence: UserPresence, now: number): Promise<PresenceTransition | undefined>;
  /** Confirms that a transition reached every subscriber, unless a later one replaced it meanwhile. */
  confirmPublished(transition: PresenceTransition): Promise<void>;
}

/** What everyone who may not see a user is told about them: the same as for an id nobody has. */
export function hiddenPresence(userId: string): UserPresence {
  return { userId, status: 'offline' };
}

/** A subscriber: one connection, watching some users. */
export interface PresenceSubscriber {
  readonly userId: string;
  readonly connectionId: string;
}

/** How many users one connection, and one user across their connections, may watch. */
export interface SubscriptionCaps {
  readonly perConnection: number;
  readonly perUser: number;
}

export const SUBSCRIPTION_CAPS: SubscriptionCaps = {
  perConnection: MAX_PRESENCE_SUBSCRIPTIONS_PER_CONNECTION,
  perUser: MAX_PRESENCE_SUBSCRIPTIONS_PER_USER,
};

/** A subscription that would pass a cap, with how many the connection or the user watches already. */
export type SubscribeOutcome = { readonly subscribed: true } | { readonly over: 'connection' | 'user'; readonly watching: number };

/** What a subscription is about to write: the users new to the connection, and how many its watch list then holds. */
export interface SubscriptionPlan {
  readonly added: number;
  readonly listSize: number;
}

/** Who watches whom, keyed by the watched user so that a change finds its subscribers in one Query. */
export interface PresenceSubscriptions {
  /**
   * Subscribes the connection to each user until `expiresAt` (epoch seconds) at the latest, unless
   * the users it would watch then (those it watches already count once) pass a cap: then nothing
   * is written. Users the connection watches already are written nothing. `beforeWrite` hears the
   * plan after the watch lists are read and before anything is written (again if a racing
   * subscription makes it read them again); when it throws, nothing is written.
   */
  subscribe(
    subscriber: PresenceSubscriber,
    watchedUserIds: readonly string[],
    expiresAt: number,
    caps: SubscriptionCaps,
    beforeWrite?: (plan: SubscriptionPlan) => Promise<void>,
  ): Promise<SubscribeOutcome>;
  /** The connections watching the user, with their users. */
  subscribersOf(watchedUserId: string): Promise<PresenceSubscriber[]>;
  /** Whom each of the user's connections watches. */
  watchedBy(userId: string): Promise<Array<{ readonly connectionId: string; readonly watched: readonly string[] }>>;
  /** Ends one subscription: the subscriber's connection no longer watches the user. */
  unsubscribe(subscriber: PresenceSubscriber, watchedUserId: string): Promise<void>;
  /** Ends every subscription of a connection. */
  endSubscriptionsOf(connectionId: string): Promise<void>;
}

/**
 * Subscribes a connection and returns the users' current state. Only users the subscriber may be
 * shown (anyone by default; people who share a thread where either chose the `threads` audience;
 * never across a block) are subscribed to, and only those who also see each other (presenceAudience)
 * are answered with their state; everyone else, unknown ids included, is answered hiddenPresence.
 * The subscriptions are written before the state is read, and publishPresenceChanges records a
 * change before it looks for subscribers; with both reads strongly consistent, a racing change is
 * either in the answer (it was recorded before the read) or pushed (its subscribers were looked up
 * after the subscription was written), sometimes both. What is written (the subscriptions new to the
 * connection, and its watch list again) is paid for once the watch lists are read and before the
 * write (presenceSubscriptionUnits): over budget, nothing is written; users it watches already
 * cost nothing more.
 */
export async function subscribeToPresence({
  subscriber,
  userIds,
  now,
  subscriptions,
  statuses,
  purse,
  ...visibility
}: PresenceVisibilityPorts & {
  readonly subscriber: PresenceSubscriber;
  readonly userIds: readonly string[];
  readonly now: number;
  readonly subscriptions: PresenceSubscriptions;
  readonly statuses: PresenceStatusStore;
  readonly purse: Purse;
}): Promise<UserPresence[]> {
  const unique = [...new Set(userIds)];
  const { related, visible } = await presenceAudience({ userId: subscriber.userId, others: unique, ...visibility });
  if (related.size > 0) {
    let paid = 0;
    const payFor = async (plan: SubscriptionPlan) => {
      // A plan read again (a racing subscription) pays only what it adds.
      const units = presenceSubscriptionUnits(plan);
      if (units > paid) await purse.spend(units - paid);
      paid = Math.max(paid, units);
    };
    // A subscription ends with its connection, which API Gateway closes after its longest life at the latest.
    const outcome = await subscriptions.subscribe(subscriber, [...related], Math.floor(now / 1000) + MAX_CONNECTION_SECONDS, SUBSCRIPTION_CAPS, payFor);
    if ('over' in outcome) {
      const [cap, holder] = outcome.over === 'connection' ? [SUBSCRIPTION_CAPS.perConnection, 'a connection'] : [SUBSCRIPTION_CAPS.perUser, 'a user'];
      throw new BadRequestError(`userIds: ${holder} may watch at most ${cap} users (${outcome.watching} watched already); nothing was subscribed`);
    }
  }
  const known = visible.size === 0 ? new Map<string, UserPresence>() : new Map((await statuses.statusesOf([...visible])).map((presence) => [presence.userId, presence]));
  return unique.map((userId) => (visible.has(userId) ? (known.get(userId) ?? hiddenPresence(userId)) : hiddenPresence(userId)));
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

export interface PresencePorts extends PresenceVisibilityPorts {
  readonly connections: LiveConnectionCounter;
  readonly statuses: PresenceStatusStore;
  readonly subscriptions: PresenceSubscriptions;
  readonly notifier: ConnectionNotifier;
}

export interface PresenceReport {
  /** Transitions that reached every subscriber (republished ones included). */
  readonly published: UserPresence[];
  /** Users whose change could not be worked out or published, with why: their records are to be retried. */
  readonly failures: Array<{ readonly userId: string; readonly error: unknown }>;
  readonly delivered: number;
  /** Posts that failed other than with 410, with why: their users' transitions are published again on the retry. */
  readonly failedPosts: unknown[];
}

/** One subscriber connection's frame of a publication, and the subscriptions it ends once delivered. */
interface ConnectionFrame {
  readonly subscriber: PresenceSubscriber;
  readonly users: UserPresence[];
  readonly revoked: string[];
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
 * live connection) or offline, records it, and pushes each transition to the user's subscribers,
 * one frame per subscriber connection. The status is read from the registry as it is now, not
 * inferred from the changes, so replaying changes (a retried batch) makes no new transition. A
 * transition is confirmed published only once every subscriber has it (or is gone); until then its
 * user is reported failed, so that the retry publishes it again: at least once, not at most once.
 */
export async function publishPresenceChanges({
  changes,
  now,
  ...ports
}: PresencePorts & { readonly changes: readonly ConnectionChange[]; readonly now: number }): Promise<PresenceReport> {
  const byUser = new Map<string, ConnectionChange[]>();
  for (const change of changes) byUser.set(change.userId, [...(byUser.get(change.userId) ?? []), change]);
  const failed = new Map<string, unknown>();
  const fail = (userId: string, error: unknown) => {
    if (!failed.has(userId)) failed.set(userId, error);
  };

  const transitions: PresenceTransition[] = [];
  await inPool([...byUser], CONCURRENCY, async ([userId, userChanges]) => {
    try {
      for (const change of userChanges) {
        if (change.kind === 'closed') await ports.subscriptions.endSubscriptionsOf(change.connectionId);
      }
      const live = await ports.connections.countLiveConnections(userId);
      const lastClose = userChanges.filter((change) => change.kind === 'closed').at(-1);
      const presence: UserPresence =
        live > 0 ? { userId, status: 'online' } : { userId, status: 'offline', lastSeen: lastClose ? lastSeenFrom(lastClose) : now };
      const transition = await ports.statuses.recordStatus(presence, now);
      if (transition) transitions.push(transition);
    } catch (error) {
      fail(userId, error);
    }
  });

  const framesByConnection = new Map<string, ConnectionFrame>();
  /** Users whose change is in some subscriber's frame: only their publication has anything to confirm. */
  const told = new Set<string>();
  const frameFor = (subscriber: PresenceSubscriber, userId: string) => {
    const frame = framesByConnection.get(subscriber.connectionId) ?? { subscriber, users: [], revoked: [] };
    framesByConnection.set(subscriber.connectionId, frame);
    told.add(userId);
    return frame;
  };
  await inPool(transitions, CONCURRENCY, async ({ presence }) => {
    try {
      const subscribers = await ports.subscriptions.subscribersOf(presence.userId);
      if (subscribers.length === 0) return;
      const { related, visible } = await presenceAudience({ userId: presence.userId, others: subscribers.map(({ userId }) => userId), ...ports });
      for (const subscriber of subscribers) {
        if (visible.has(subscriber.userId)) frameFor(subscriber, presence.userId).users.push(presence);
        else if (!related.has(subscriber.userId)) {
          // They no longer share a thread: told hidden once, then unsubscribed (after the post, so a failed post is retried).
          const frame = frameFor(subscriber, presence.userId);
          frame.users.push(hiddenPresence(presence.userId));
          frame.revoked.push(presence.userId);
        }
        // Related but hidden by a setting: nothing, not even the change's timing (the switch told them hidden).
      }
    } catch (error) {
      fail(presence.userId, error);
    }
  });
  let delivered = 0;
  const failedPosts: unknown[] = [];
  await inPool([...framesByConnection], CONCURRENCY, async ([connectionId, { subscriber, users, revoked }]) => {
    try {
      const outcome = await ports.notifier.post(connectionId, { type: 'presence', users });
      if (outcome === 'gone') await ports.subscriptions.endSubscriptionsOf(connectionId);
      else {
        delivered += 1;
        for (const watched of revoked) await ports.subscriptions.unsubscribe(subscriber, watched);
      }
    } catch (error) {
      // The other subscribers still get the change now; this one gets it on the retry.
      failedPosts.push(error);
      for (const { userId } of users) fail(userId, error);
    }
  });

  const published: UserPresence[] = [];
  await inPool(
    transitions.filter(({ presence }) => !failed.has(presence.userId)),
    CONCURRENCY,
    async (transition) => {
      try {
        // Told to nobody (no subscriber, or none who may see it): nothing to confirm, and a write
        // saved on most connects and disconnects. Left pending, the change is at worst told again,
        // as it now stands, when the user's status is next recorded unchanged.
        if (told.has(transition.presence.userId)) await ports.statuses.confirmPublished(transition);
        published.push(transition.presence);
      } catch (error) {
        fail(transition.presence.userId, error);
      }
    },
  );
  return { published, failures: [...failed].map(([userId, error]) => ({ userId, error })), delivered, failedPosts };
}
