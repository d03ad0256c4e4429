import { presenceSubscriptionUnits, settingsChangeUnits } from '../../../lambdas/domain/budget';
import type { LiveConnection } from '../../../lambdas/domain/chat/ports';
import { updateSettings } from '../../../lambdas/domain/active-status';
import { sweepStaleConnections } from '../../../lambdas/domain/connections';
import type { StaleConnection, StaleConnectionRegistry } from '../../../lambdas/domain/ports';
import {
  publishPresenceChanges,
  subscribeToPresence,
  type ConnectionChange,
  type LiveConnectionCounter,
  type PresenceStatusStore,
  type PresenceSubscriber,
  type PresenceSubscriptions,
  type PresenceTransition,
  type UserPresence,
} from '../../../lambdas/domain/presence';
import { presenceAudience, type SharedThreads } from '../../../lambdas/domain/presence-visibility';
import type { BlockList } from '../../../lambdas/domain/user-pairs';
import type { SubscriptionCaps, SubscribeOutcome, SubscriptionPlan } from '../../../lambdas/domain/presence';
import { DEFAULT_SETTINGS, type UserSettings, type UserSettingsStore } from '../../../lambdas/domain/settings';
import { InMemoryPurse, RecordingNotifier } from '../../support/in-memory-chat';

class InMemoryConnections implements LiveConnectionCounter {
  constructor(private readonly live: readonly LiveConnection[]) {}
  async countLiveConnections(userId: string): Promise<number> {
    return this.live.filter((connection) => connection.userId === userId).length;
  }
}

class InMemoryStatuses implements PresenceStatusStore {
  readonly statuses = new Map<string, UserPresence>();
  /** Users whose last transition is not confirmed published. */
  readonly pending = new Set<string>();
  private readonly versions = new Map<string, number>();
  failFor?: string;
  async statusesOf(userIds: readonly string[]): Promise<UserPresence[]> {
    return userIds.flatMap((userId) => this.statuses.get(userId) ?? []);
  }
  async recordStatus(presence: UserPresence): Promise<PresenceTransition | undefined> {
    const { userId } = presence;
    if (userId === this.failFor) throw new Error('throttled');
    const current = this.statuses.get(userId);
    if (current?.status === presence.status) return this.pending.has(userId) ? { presence: current, version: this.versions.get(userId)! } : undefined;
    const version = (this.versions.get(userId) ?? 0) + 1;
    this.statuses.set(userId, presence);
    this.versions.set(userId, version);
    this.pending.add(userId);
    return { presence, version };
  }
  async confirmPublished({ presence, version }: PresenceTransition): Promise<void> {
    if (this.versions.get(presence.userId) === version) this.pending.delete(presence.userId);
  }
}

class InMemorySubscriptions implements PresenceSubscriptions {
  readonly rows: Array<{ watched: string; connectionId: string; subscriberUserId: string; expiresAt: number }> = [];
  readonly calls: string[] = [];
  async subscribe(
    subscriber: PresenceSubscriber,
    watched: readonly string[],
    expiresAt: number,
    caps: SubscriptionCaps = { perConnection: 9e9, perUser: 9e9 },
    beforeWrite?: (plan: SubscriptionPlan) => Promise<void>,
  ): Promise<SubscribeOutcome> {
    this.calls.push('subscribe');
    const own = this.rows.filter((row) => row.connectionId === subscriber.connectionId);
    const fresh = [...new Set(watched)].filter((user) => !own.some((row) => row.watched === user));
    if (own.length + fresh.length > caps.perConnection) return { over: 'connection', watching: own.length };
    const byUser = this.rows.filter((row) => row.subscriberUserId === subscriber.userId).length;
    if (byUser + fresh.length > caps.perUser) return { over: 'user', watching: byUser };
    await beforeWrite?.({ added: fresh.length, listSize: own.length + fresh.length });
    for (const user of fresh) this.rows.push({ watched: user, connectionId: subscriber.connectionId, subscriberUserId: subscriber.userId, expiresAt });
    return { subscribed: true };
  }
  async subscribersOf(watched: string): Promise<PresenceSubscriber[]> {
    return this.rows.filter((row) => row.watched === watched).map((row) => ({ connectionId: row.connectionId, userId: row.subscriberUserId }));
  }
  async watchedBy(userId: string) {
    const connections = [...new Set(this.rows.filter((row) => row.subscriberUserId === userId).map((row) => row.connectionId))];
    return connections.map((connectionId) => ({ connectionId, watched: this.rows.filter((row) => row.connectionId === connectionId).map((row) => row.watched) }));
  }
  async unsubscribe(subscriber: PresenceSubscriber, watched: string): Promise<void> {
    this.rows.splice(0, this.rows.length, ...this.rows.filter((row) => row.connectionId !== subscriber.connectionId || row.watched !== watched));
  }
  async endSubscriptionsOf(connectionId: string): Promise<void> {
    this.rows.splice(0, this.rows.length, ...this.rows.filter((row) => row.connectionId !== connectionId));
  }
}

/** Everyone shares a thread with everyone, except the users named strangers; records who was asked about. */
class InMemorySharedThreads implements SharedThreads {
  readonly strangers = new Set<string>();
  readonly asked: string[][] = [];
  async sharingAThreadWith(userId: string, others: readonly string[]): Promise<Set<string>> {
    this.asked.push([userId, ...others]);
    return new Set(this.strangers.has(userId) ? [] : others.filter((other) => !this.strangers.has(other)));
  }
}

/** Blocks as pairs `blocker>blocked`; a block hides either way. */
class InMemoryBlocks implements BlockList {
  readonly pairs = new Set<string>();
  async isBlocked(userId: string, otherId: string): Promise<boolean> {
    return this.pairs.has(`${userId}>${otherId}`) || this.pairs.has(`${otherId}>${userId}`);
  }
  async blockedAmong(userId: string, others: readonly string[]): Promise<Set<string>> {
    const blocked = new Set<string>();
    for (const other of others) if (await this.isBlocked(userId, other)) blocked.add(other);
    return blocked;
  }
}

class InMemorySettings implements UserSettingsStore {
  readonly stored = new Map<string, UserSettings>();
  async settingsOf(userIds: readonly string[]): Promise<Map<string, UserSettings>> {
    return new Map(userIds.map((userId) => [userId, this.stored.get(userId) ?? DEFAULT_SETTINGS]));
  }
  async update(userId: string, changes: Partial<UserSettings>) {
    const before = this.stored.get(userId) ?? DEFAULT_SETTINGS;
    const after = { ...before, ...changes };
    this.stored.set(userId, after);
    return { before, after };
  }
}

const NOW = 1_764_000_000_000;

function setup(outcome?: (connectionId: string) => 'delivered' | 'gone' | 'error') {
  const live: LiveConnection[] = [];
  const ports = {
    connections: new InMemoryConnections(live),
    statuses: new InMemoryStatuses(),
    subscriptions: new InMemorySubscriptions(),
    notifier: new RecordingNotifier(outcome),
    sharedThreads: new InMemorySharedThreads(),
    settings: new InMemorySettings(),
    blocks: new InMemoryBlocks(),
    purse: new InMemoryPurse(),
  };
  const open = (userId: string, connectionId: string): ConnectionChange => {
    live.push({ userId, connectionId });
    return { kind: 'opened', userId, connectionId, at: NOW, lastActiveAt: NOW, expiresAt: NOW / 1000 + 600 };
  };
  const close = (userId: string, connectionId: string, at = NOW + 5000, lastActiveAt = NOW + 1000, expiresAt = NOW / 1000 + 600): ConnectionChange => {
    live.splice(live.findIndex((connection) => connection.connectionId === connectionId), 1);
    return { kind: 'closed', userId, connectionId, at, lastActiveAt, expiresAt };
  };
  return { ports, open, close };
}

describe('subscribeToPresence', () => {
  it("answers each user's current status, offline for users never seen, and subscribes before reading", async () => {
    const { ports } = setup();
    ports.statuses.statuses.set('bob', { userId: 'bob', status: 'online' });
    ports.statuses.statuses.set('carol', { userId: 'carol', status: 'offline', lastSeen: NOW - 60_000 });
    const statusesOf = jest.spyOn(ports.statuses, 'statusesOf').mockImplementation(async (ids) => {
      ports.subscriptions.calls.push('read');
      return ids.flatMap((id) => ports.statuses.statuses.get(id) ?? []);
    });

    const users = await subscribeToPresence({
      subscriber: { userId: 'alice', connectionId: 'a1' },
      userIds: ['bob', 'carol', 'dave', 'bob'],
      now: NOW + 999,
      ...ports,
    });

    expect(users).toEqual([
      { userId: 'bob', status: 'online' },
      { userId: 'carol', status: 'offline', lastSeen: NOW - 60_000 },
      { userId: 'dave', status: 'offline' },
    ]);
    expect(ports.subscriptions.calls).toEqual(['subscribe', 'read']);
    // Until the connection's longest life (two hours) at the latest.
    expect(ports.subscriptions.rows).toEqual(['bob', 'carol', 'dave'].map((watched) => ({ watched, connectionId: 'a1', subscriberUserId: 'alice', expiresAt: NOW / 1000 + 7200 })));
    statusesOf.mockRestore();
  });
});

/**
 * Runs the steps of concurrent calls in a set order: each step waits until the steps before it in
 * `order` are done, whichever call they belong to.
 */
function inOrder(order: readonly string[]) {
  const done = new Set<string>();
  const waiting: Array<() => void> = [];
  return async <T>(step: string, act: () => Promise<T>): Promise<T> => {
    while (!order.slice(0, order.indexOf(step)).every((earlier) => done.has(earlier))) await new Promise<void>((resolve) => waiting.push(resolve));
    const result = await act();
    done.add(step);
    waiting.splice(0).forEach((wake) => wake());
    return result;
  };
}

/**
 * Every order of the subscriber's two steps (subscribing and reading, named by the order in which
 * subscribeToPresence takes them) among the publisher's two (flipping the status, then looking up
 * the subscribers), each side keeping its own order.
 */
const RACES = [
  ['subscriber 1st', 'subscriber 2nd', 'flip', 'look up subscribers'],
  ['subscriber 1st', 'flip', 'subscriber 2nd', 'look up subscribers'],
  ['subscriber 1st', 'flip', 'look up subscribers', 'subscriber 2nd'],
  ['flip', 'subscriber 1st', 'subscriber 2nd', 'look up subscribers'],
  ['flip', 'subscriber 1st', 'look up subscribers', 'subscriber 2nd'],
  ['flip', 'look up subscribers', 'subscriber 1st', 'subscriber 2nd'],
];

describe('a subscription racing a change', () => {
  it.each(RACES)('tells the subscriber of the change, in the answer or pushed, when the steps run: %s, %s, %s, %s', async (...order) => {
    const { ports, open } = setup();
    const step = inOrder(order);
    let subscriberSteps = 0;
    const subscriberStep = <T>(act: () => Promise<T>) => step(++subscriberSteps === 1 ? 'subscriber 1st' : 'subscriber 2nd', act);
    const { statuses, subscriptions } = ports;
    const racing = {
      ...ports,
      statuses: {
        statusesOf: (ids: readonly string[]) => subscriberStep(() => statuses.statusesOf(ids)),
        recordStatus: (presence: UserPresence) => step('flip', () => statuses.recordStatus(presence)),
        confirmPublished: (transition: PresenceTransition) => statuses.confirmPublished(transition),
      },
      subscriptions: {
        subscribe: (subscriber: PresenceSubscriber, ids: readonly string[], expiresAt: number, caps: SubscriptionCaps, beforeWrite?: (plan: SubscriptionPlan) => Promise<void>) =>
          subscriberStep(() => subscriptions.subscribe(subscriber, ids, expiresAt, caps, beforeWrite)),
        subscribersOf: (id: string) => step('look up subscribers', () => subscriptions.subscribersOf(id)),
        watchedBy: (userId: string) => subscriptions.watchedBy(userId),
        unsubscribe: (subscriber: PresenceSubscriber, id: string) => subscriptions.unsubscribe(subscriber, id),
        endSubscriptionsOf: (connectionId: string) => subscriptions.endSubscriptionsOf(connectionId),
      },
    };

    const [answer] = await Promise.all([
      subscribeToPresence({ subscriber: { userId: 'alice', connectionId: 'a1' }, userIds: ['bob'], now: NOW, ...racing }),
      publishPresenceChanges({ changes: [open('bob', 'b1')], now: NOW, ...racing }),
    ]);

    const pushed = ports.notifier.posts.filter((post) => post.connectionId === 'a1').flatMap((post) => (post.frame as { users: UserPresence[] }).users);
    expect([...answer, ...pushed]).toContainEqual({ userId: 'bob', status: 'online' });
  });
});

describe('publishPresenceChanges', () => {
  it("pushes online to the user's subscribers when their first connection opens", async () => {
    const { ports, open } = setup();
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);

    const report = await publishPresenceChanges({ changes: [open('bob', 'b1')], now: NOW, ...ports });

    expect(report.published).toEqual([{ userId: 'bob', status: 'online' }]);
    expect(ports.notifier.posts).toEqual([{ connectionId: 'a1', frame: { type: 'presence', users: [{ userId: 'bob', status: 'online' }] } }]);
  });

  it('confirms nothing for a change nobody watches (a write saved), and tells it to a later subscriber when the status is next recorded unchanged', async () => {
    const { ports, open } = setup();
    const confirm = jest.spyOn(ports.statuses, 'confirmPublished');

    const report = await publishPresenceChanges({ changes: [open('bob', 'b1')], now: NOW, ...ports });

    expect(report.published).toEqual([{ userId: 'bob', status: 'online' }]);
    expect(confirm).not.toHaveBeenCalled();
    // Still pending: a subscriber who came since hears it again on bob's next unchanged change, once.
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    await publishPresenceChanges({ changes: [open('bob', 'b2')], now: NOW, ...ports });
    await publishPresenceChanges({ changes: [open('bob', 'b3')], now: NOW, ...ports });
    expect(ports.notifier.posts).toEqual([{ connectionId: 'a1', frame: { type: 'presence', users: [{ userId: 'bob', status: 'online' }] } }]);
    expect(confirm).toHaveBeenCalledTimes(1);
  });

  it('keeps a user online while one of two devices is still connected, and pushes offline after the last', async () => {
    const { ports, open, close } = setup();
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    await publishPresenceChanges({ changes: [open('bob', 'b1')], now: NOW, ...ports });
    await publishPresenceChanges({ changes: [open('bob', 'b2')], now: NOW, ...ports });
    await publishPresenceChanges({ changes: [close('bob', 'b1')], now: NOW, ...ports });
    expect(ports.notifier.posts).toHaveLength(1);

    const report = await publishPresenceChanges({ changes: [close('bob', 'b2', NOW + 9000)], now: NOW + 9500, ...ports });

    expect(report.published).toEqual([{ userId: 'bob', status: 'offline', lastSeen: NOW + 9000 }]);
    expect(ports.notifier.posts.at(-1)!.frame).toEqual({ type: 'presence', users: [{ userId: 'bob', status: 'offline', lastSeen: NOW + 9000 }] });
  });

  it('dates a stale connection from its last activity, not from when it was swept', async () => {
    const { ports, open, close } = setup();
    await publishPresenceChanges({ changes: [open('bob', 'b1')], now: NOW, ...ports });
    const expiredAt = NOW / 1000 + 600;
    const report = await publishPresenceChanges({ changes: [close('bob', 'b1', NOW + 650_000, NOW + 1000, expiredAt)], now: NOW + 650_000, ...ports });
    expect(report.published).toEqual([{ userId: 'bob', status: 'offline', lastSeen: NOW + 1000 }]);
  });

  it('publishes nothing when the same changes come again, as in a retried batch', async () => {
    const { ports, open } = setup();
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    const changes = [open('bob', 'b1')];
    await publishPresenceChanges({ changes: changes, now: NOW, ...ports });
    const again = await publishPresenceChanges({ changes: changes, now: NOW, ...ports });
    expect(again.published).toEqual([]);
    expect(ports.notifier.posts).toHaveLength(1);
  });

  it("reads the user's status as it is now: opened then closed within one batch is offline", async () => {
    const { ports, open, close } = setup();
    const report = await publishPresenceChanges({ changes: [open('bob', 'b1'), close('bob', 'b1', NOW + 2000)], now: NOW + 3000, ...ports });
    expect(report.published).toEqual([{ userId: 'bob', status: 'offline', lastSeen: NOW + 2000 }]);
  });

  it('sends each subscriber one frame for all the users that changed', async () => {
    const { ports, open } = setup();
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob', 'carol'], 9e9);
    await ports.subscriptions.subscribe({ userId: 'dave', connectionId: 'd1' }, ['carol'], 9e9);

    await publishPresenceChanges({ changes: [open('bob', 'b1'), open('carol', 'c1')], now: NOW, ...ports });

    const frames = Object.fromEntries(ports.notifier.posts.map((post) => [post.connectionId, post.frame]));
    expect(frames.a1).toEqual({ type: 'presence', users: expect.arrayContaining([{ userId: 'bob', status: 'online' }, { userId: 'carol', status: 'online' }]) });
    expect(frames.d1).toEqual({ type: 'presence', users: [{ userId: 'carol', status: 'online' }] });
  });

  it("ends a closed connection's own subscriptions, and a subscriber's that the gateway reports gone", async () => {
    const { ports, open, close } = setup((connectionId) => (connectionId === 'gone1' ? 'gone' : 'delivered'));
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    await ports.subscriptions.subscribe({ userId: 'erin', connectionId: 'gone1' }, ['bob'], 9e9);
    const aliceGoes = [open('alice', 'a1'), close('alice', 'a1')];

    const report = await publishPresenceChanges({ changes: [...aliceGoes, open('bob', 'b1')], now: NOW, ...ports });

    expect(report.delivered).toBe(0);
    expect(ports.notifier.posts).toEqual([]);
    expect(ports.subscriptions.rows).toEqual([]);
  });

  it('reports a user whose status could not be recorded, and still publishes the others', async () => {
    const { ports, open } = setup();
    ports.statuses.failFor = 'bob';
    const report = await publishPresenceChanges({ changes: [open('bob', 'b1'), open('carol', 'c1')], now: NOW, ...ports });
    expect(report.failures).toEqual([{ userId: 'bob', error: expect.any(Error) }]);
    expect(report.published).toEqual([{ userId: 'carol', status: 'online' }]);
  });

  it('still tells the other subscribers when a post fails, and reports the user for a retry', async () => {
    const { ports, open } = setup((connectionId) => (connectionId === 'x1' ? 'error' : 'delivered'));
    await ports.subscriptions.subscribe({ userId: 'xavier', connectionId: 'x1' }, ['bob'], 9e9);
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    const report = await publishPresenceChanges({ changes: [open('bob', 'b1')], now: NOW, ...ports });
    expect(report.failedPosts).toHaveLength(1);
    expect(report.delivered).toBe(1);
    expect(report.failures).toEqual([{ userId: 'bob', error: expect.any(Error) }]);
    expect(report.published).toEqual([]);
  });

  it('publishes a transition again on the retry after a post failed, until the subscriber has it', async () => {
    let failuresLeft = 1;
    const { ports, open } = setup(() => (failuresLeft-- > 0 ? 'error' : 'delivered'));
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    const changes = [open('bob', 'b1')];

    const first = await publishPresenceChanges({ changes, now: NOW, ...ports });
    expect(first.failures).toEqual([{ userId: 'bob', error: expect.any(Error) }]);
    expect(ports.notifier.posts).toEqual([]);

    // Lambda retries the failed records: the same changes come again.
    const retry = await publishPresenceChanges({ changes, now: NOW + 100, ...ports });
    expect(retry.failures).toEqual([]);
    expect(retry.published).toEqual([{ userId: 'bob', status: 'online' }]);
    expect(ports.notifier.posts).toEqual([{ connectionId: 'a1', frame: { type: 'presence', users: [{ userId: 'bob', status: 'online' }] } }]);

    // Confirmed: a further replay publishes nothing.
    await publishPresenceChanges({ changes, now: NOW + 200, ...ports });
    expect(ports.notifier.posts).toHaveLength(1);
  });

  it("publishes again on the retry when the user's subscribers could not be read", async () => {
    const { ports, open } = setup();
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    const subscribersOf = jest.spyOn(ports.subscriptions, 'subscribersOf').mockRejectedValueOnce(new Error('throttled'));
    const changes = [open('bob', 'b1')];

    expect((await publishPresenceChanges({ changes, now: NOW, ...ports })).failures).toEqual([{ userId: 'bob', error: expect.any(Error) }]);
    await publishPresenceChanges({ changes, now: NOW, ...ports });

    expect(ports.notifier.posts).toEqual([{ connectionId: 'a1', frame: { type: 'presence', users: [{ userId: 'bob', status: 'online' }] } }]);
    subscribersOf.mockRestore();
  });

  it('republishes only the newest transition when the status changed again before the retry', async () => {
    let failing = true;
    const { ports, open, close } = setup(() => (failing ? 'error' : 'delivered'));
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);
    const opened = open('bob', 'b1');
    await publishPresenceChanges({ changes: [opened], now: NOW, ...ports });
    failing = false;

    // The retry carries the failed record and the close that came after it.
    await publishPresenceChanges({ changes: [opened, close('bob', 'b1', NOW + 2000)], now: NOW + 3000, ...ports });

    expect(ports.notifier.posts.map((post) => post.frame)).toEqual([{ type: 'presence', users: [{ userId: 'bob', status: 'offline', lastSeen: NOW + 2000 }] }]);
    expect(ports.statuses.pending.size).toBe(0);
  });
});

describe('sweepStaleConnections', () => {
  it('removes the stale connections, except those that proved alive since they were found, and unlists those the gateway no longer holds', async () => {
    const found: StaleConnection[] = [
      { userId: 'bob', connectionId: 'b1' },
      { userId: 'carol', connectionId: 'c1' },
      { userId: 'erin', connectionId: 'e1-still-open' },
      { userId: 'frank', connectionId: 'f1-unknown' },
    ];
    const unlisted: string[] = [];
    const asked: Array<[string, number]> = [];
    const registry: StaleConnectionRegistry = {
      async *staleConnections(nowSeconds) {
        asked.push(['find', nowSeconds]);
        yield* found;
      },
      async removeIfStale(connection, nowSeconds) {
        asked.push([connection.connectionId, nowSeconds]);
        return connection.connectionId !== 'c1';
      },
      async *tokenExpiredConnections() {},
      removeIfTokenExpired: async () => false,
      unlist: async (connection) => void unlisted.push(connection.connectionId),
    };
    const closed: string[] = [];
    const gateway = {
      close: async (id: string) => void closed.push(id),
      isOpen: async (id: string) => {
        if (id === 'f1-unknown') throw new Error('throttled');
        return id === 'e1-still-open';
      },
    };

    expect(await sweepStaleConnections({ now: NOW + 999, registry, gateway })).toEqual({ removed: 3, closedForExpiredToken: 0 });
    expect(asked).toEqual([
      ['find', NOW / 1000],
      ['b1', NOW / 1000],
      ['c1', NOW / 1000],
      ['e1-still-open', NOW / 1000],
      ['f1-unknown', NOW / 1000],
    ]);
    // Gone quiet only: the gateway's idle limit closes it, if it is still open.
    expect(closed).toEqual([]);
    // One still open may speak and be registered again; one whose check failed stays listed until a post finds it gone.
    expect(unlisted).toEqual(['b1']);
  });

  it('removes the record of each connection whose token expired, unless renewed meanwhile, and then closes it at the gateway', async () => {
    const calls: string[] = [];
    const registry: StaleConnectionRegistry = {
      async *staleConnections() {},
      removeIfStale: async () => false,
      async *tokenExpiredConnections(nowSeconds) {
        calls.push(`find ${nowSeconds}`);
        yield { userId: 'dave', connectionId: 'expired' };
        yield { userId: 'dave', connectionId: 'renewed-meanwhile' };
      },
      removeIfTokenExpired: async (connection) => {
        calls.push(`remove ${connection.connectionId}`);
        return connection.connectionId === 'expired';
      },
      unlist: async (connection) => void calls.push(`unlist ${connection.connectionId}`),
    };

    const result = await sweepStaleConnections({ now: NOW, registry, gateway: { close: async (id) => void calls.push(`close ${id}`), isOpen: async () => true } });

    expect(result).toEqual({ removed: 0, closedForExpiredToken: 1 });
    expect(calls[0]).toBe(`find ${NOW / 1000}`);
    expect(calls.filter((call) => call.startsWith('close'))).toEqual(['close expired']);
    expect(calls.indexOf('remove expired')).toBeLessThan(calls.indexOf('close expired'));
    // Closed for certain: deliveries look it up no more.
    expect(calls.filter((call) => call.startsWith('unlist'))).toEqual(['unlist expired']);
    expect(calls.indexOf('close expired')).toBeLessThan(calls.indexOf('unlist expired'));
  });
  it('takes a connection whose token expired off its list even when closing it fails (its record is gone: no later sweep finds it)', async () => {
    const unlisted: string[] = [];
    const registry: StaleConnectionRegistry = {
      async *staleConnections() {},
      removeIfStale: async () => false,
      async *tokenExpiredConnections() {
        yield { userId: 'dave', connectionId: 'expired' };
      },
      removeIfTokenExpired: async () => true,
      unlist: async (connection) => void unlisted.push(connection.connectionId),
    };
    const gateway = { close: async () => Promise.reject(new Error('throttled')), isOpen: async () => true };

    await expect(sweepStaleConnections({ now: NOW, registry, gateway })).rejects.toThrow('throttled');
    expect(unlisted).toEqual(['expired']);
  });
});

describe('who sees whom', () => {
  it('answers a stranger who limits their audience to threads, a blocked user, an unknown id and a hidden user alike, and subscribes to the hidden one only', async () => {
    const { ports } = setup();
    ports.statuses.statuses.set('bob', { userId: 'bob', status: 'offline', lastSeen: NOW - 1000 });
    ports.statuses.statuses.set('blocked', { userId: 'blocked', status: 'online' });
    ports.statuses.statuses.set('hidden', { userId: 'hidden', status: 'online' });
    ports.statuses.statuses.set('friend', { userId: 'friend', status: 'online' });
    ports.sharedThreads.strangers.add('bob');
    ports.settings.stored.set('bob', { ...DEFAULT_SETTINGS, presenceAudience: 'threads' });
    ports.blocks.pairs.add('blocked>alice');
    ports.settings.stored.set('hidden', { ...DEFAULT_SETTINGS, activeStatus: false });

    const users = await subscribeToPresence({ subscriber: { userId: 'alice', connectionId: 'a1' }, userIds: ['bob', 'blocked', 'hidden', 'friend'], now: NOW, ...ports });
    const [unknown] = await subscribeToPresence({ subscriber: { userId: 'alice', connectionId: 'a2' }, userIds: ['nobody'], now: NOW, ...ports });

    expect(unknown).toEqual({ userId: 'nobody', status: 'offline' });
    expect(users).toEqual([
      { userId: 'bob', status: 'offline' },
      { userId: 'blocked', status: 'offline' },
      { userId: 'hidden', status: 'offline' },
      { userId: 'friend', status: 'online' },
    ]);
    // The hidden user may see alice but for the switch: subscribed, to be told when they show themselves again.
    expect(ports.subscriptions.rows.filter((row) => row.connectionId === 'a1').map((row) => row.watched)).toEqual(['hidden', 'friend']);
  });

  it('shows nobody to a user who hid their own status', async () => {
    const { ports } = setup();
    ports.statuses.statuses.set('friend', { userId: 'friend', status: 'online' });
    ports.settings.stored.set('alice', { ...DEFAULT_SETTINGS, activeStatus: false });
    const users = await subscribeToPresence({ subscriber: { userId: 'alice', connectionId: 'a1' }, userIds: ['friend'], now: NOW, ...ports });
    expect(users).toEqual([{ userId: 'friend', status: 'offline' }]);
  });

  it('refuses a subscription past a cap and writes nothing', async () => {
    const { ports } = setup();
    const subscribe = jest.spyOn(ports.subscriptions, 'subscribe').mockResolvedValue({ over: 'connection', watching: 1000 });
    await expect(subscribeToPresence({ subscriber: { userId: 'alice', connectionId: 'a1' }, userIds: ['bob'], now: NOW, ...ports })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'userIds: a connection may watch at most 1000 users (1000 watched already); nothing was subscribed',
    });
    expect(subscribe).toHaveBeenCalledWith({ userId: 'alice', connectionId: 'a1' }, ['bob'], expect.any(Number), { perConnection: 1000, perUser: 3000 }, expect.any(Function));
  });

  it('publishes to subscribers who may see the change; one who no longer may (no shared thread under `threads`, or a block) is told hidden once and unsubscribed; one hidden by a setting hears nothing', async () => {
    const { ports, open, close } = setup();
    for (const [userId, connectionId] of [['carol', 'c1'], ['dave', 'd1'], ['erin', 'e1'], ['fred', 'f1']]) await ports.subscriptions.subscribe({ userId, connectionId }, ['bob'], 9e9);
    ports.sharedThreads.strangers.add('dave');
    ports.settings.stored.set('bob', { ...DEFAULT_SETTINGS, presenceAudience: 'threads' });
    ports.blocks.pairs.add('bob>fred');
    ports.settings.stored.set('erin', { ...DEFAULT_SETTINGS, activeStatus: false });

    await publishPresenceChanges({ changes: [open('bob', 'b1')], now: NOW, ...ports });
    expect(ports.notifier.posts.map(({ connectionId, frame }) => [connectionId, frame])).toEqual([
      ['c1', { type: 'presence', users: [{ userId: 'bob', status: 'online' }] }],
      ['d1', { type: 'presence', users: [{ userId: 'bob', status: 'offline' }] }],
      ['f1', { type: 'presence', users: [{ userId: 'bob', status: 'offline' }] }],
    ]);
    expect(ports.subscriptions.rows.map((row) => row.subscriberUserId).sort()).toEqual(['carol', 'erin']);

    ports.notifier.attempts.length = 0;
    await publishPresenceChanges({ changes: [close('bob', 'b1')], now: NOW, ...ports });
    expect(ports.notifier.posts.map(({ connectionId }) => connectionId)).toEqual(['c1']);
  });
});

describe('updateSettings', () => {
  it("tells the user's subscribers hidden when active status goes off, and the user's own connections hidden for everyone they watch; the truth again when it comes back on", async () => {
    const { ports } = setup();
    ports.statuses.statuses.set('alice', { userId: 'alice', status: 'online' });
    ports.statuses.statuses.set('bob', { userId: 'bob', status: 'online' });
    await ports.subscriptions.subscribe({ userId: 'bob', connectionId: 'b1' }, ['alice'], 9e9);
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ['bob'], 9e9);

    const off = await updateSettings({ userId: 'alice', changes: { activeStatus: false }, ...ports });
    expect(off.settings).toEqual({ ...DEFAULT_SETTINGS, activeStatus: false });
    expect(ports.notifier.posts.map(({ connectionId, frame }) => [connectionId, frame]).sort()).toEqual([
      ['a1', { type: 'presence', users: [{ userId: 'bob', status: 'offline' }] }],
      ['b1', { type: 'presence', users: [{ userId: 'alice', status: 'offline' }] }],
    ]);

    ports.notifier.attempts.length = 0;
    await updateSettings({ userId: 'alice', changes: { activeStatus: true }, ...ports });
    expect(ports.notifier.posts.map(({ connectionId, frame }) => [connectionId, frame]).sort()).toEqual([
      ['a1', { type: 'presence', users: [{ userId: 'bob', status: 'online' }] }],
      ['b1', { type: 'presence', users: [{ userId: 'alice', status: 'online' }] }],
    ]);

    ports.notifier.attempts.length = 0;
    await updateSettings({ userId: 'alice', changes: { pushPreviews: false, requestNotifications: false }, ...ports });
    expect(ports.notifier.posts).toEqual([]);
  });

  it('tells a stranger who watches the user hidden when the user limits their audience to threads, and a friend her state as before', async () => {
    const { ports } = setup();
    ports.statuses.statuses.set('alice', { userId: 'alice', status: 'online' });
    ports.sharedThreads.strangers.add('stranger');
    await ports.subscriptions.subscribe({ userId: 'stranger', connectionId: 's1' }, ['alice'], 9e9);
    await ports.subscriptions.subscribe({ userId: 'friend', connectionId: 'f1' }, ['alice'], 9e9);

    await updateSettings({ userId: 'alice', changes: { presenceAudience: 'threads' }, ...ports });

    expect(ports.notifier.posts.map(({ connectionId, frame }) => [connectionId, frame]).sort()).toEqual([
      ['f1', { type: 'presence', users: [{ userId: 'alice', status: 'online' }] }],
      ['s1', { type: 'presence', users: [{ userId: 'alice', status: 'offline' }] }],
    ]);
  });
});

describe('presenceAudience', () => {
  const audienceOf = async (ports: ReturnType<typeof setup>['ports'], userId: string, others: string[]) => {
    const { related, visible } = await presenceAudience({ userId, others, ...ports });
    return { related: [...related].sort(), visible: [...visible].sort() };
  };

  it('by default lets anyone see anyone, strangers and unknown ids included, without reading shared threads', async () => {
    const { ports } = setup();
    ports.sharedThreads.strangers.add('stranger').add('nobody');
    expect(await audienceOf(ports, 'alice', ['alice', 'stranger', 'nobody'])).toEqual({ related: ['alice', 'nobody', 'stranger'], visible: ['alice', 'nobody', 'stranger'] });
    expect(ports.sharedThreads.asked).toEqual([]);
  });

  it('with either side on `threads`, needs a shared thread, and reads shared threads only for the users concerned', async () => {
    const { ports } = setup();
    ports.sharedThreads.strangers.add('stranger').add('private-stranger');
    ports.settings.stored.set('private-stranger', { ...DEFAULT_SETTINGS, presenceAudience: 'threads' });
    ports.settings.stored.set('private-friend', { ...DEFAULT_SETTINGS, presenceAudience: 'threads' });
    expect(await audienceOf(ports, 'alice', ['stranger', 'private-stranger', 'private-friend'])).toEqual({
      related: ['private-friend', 'stranger'],
      visible: ['private-friend', 'stranger'],
    });
    expect(ports.sharedThreads.asked).toEqual([['alice', 'private-stranger', 'private-friend']]);

    // The viewer's own `threads` limits whom they see too: seeing is mutual.
    ports.settings.stored.set('alice', { ...DEFAULT_SETTINGS, presenceAudience: 'threads' });
    expect(await audienceOf(ports, 'alice', ['stranger', 'friend'])).toEqual({ related: ['friend'], visible: ['friend'] });
  });

  it('hides a block both ways, whoever blocked and whatever threads they share', async () => {
    const { ports } = setup();
    ports.blocks.pairs.add('alice>bob').add('carol>alice');
    expect(await audienceOf(ports, 'alice', ['bob', 'carol', 'dave'])).toEqual({ related: ['dave'], visible: ['dave'] });
    expect(await audienceOf(ports, 'bob', ['alice'])).toEqual({ related: [], visible: [] });
  });

  it('keeps users with active status off related but not visible, and shows nobody to a viewer with it off', async () => {
    const { ports } = setup();
    ports.settings.stored.set('hidden', { ...DEFAULT_SETTINGS, activeStatus: false });
    expect(await audienceOf(ports, 'alice', ['hidden', 'bob'])).toEqual({ related: ['bob', 'hidden'], visible: ['bob'] });
    ports.settings.stored.set('alice', { ...DEFAULT_SETTINGS, activeStatus: false });
    expect(await audienceOf(ports, 'alice', ['alice', 'bob'])).toEqual({ related: ['alice', 'bob'], visible: ['alice'] });
  });
});

describe('what presence frames pay by what they reach', () => {
  const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

  // Charged 1 unit a user named up front, a frame that rewrote a 999-user watch list for one new
  // user paid 6 units, and one naming 500 users watched already paid 505 for writing nothing.
  it('charges subscribePresence by the subscriptions it writes and the watch list it rewrites, and nothing for users watched already', async () => {
    const { ports } = setup();
    const subscriber = { userId: 'alice', connectionId: 'a1' };
    const first = new InMemoryPurse();
    await subscribeToPresence({ subscriber, userIds: ids('u', 500), now: NOW, ...ports, purse: first });
    expect(first.spentOn()).toBe(presenceSubscriptionUnits({ added: 500, listSize: 500 }));

    const again = new InMemoryPurse();
    await subscribeToPresence({ subscriber, userIds: ids('u', 500), now: NOW, ...ports, purse: again });
    expect(again.spentOn()).toBe(0);

    const oneMore = new InMemoryPurse();
    await subscribeToPresence({ subscriber, userIds: ['newcomer'], now: NOW, ...ports, purse: oneMore });
    expect(oneMore.spentOn()).toBe(presenceSubscriptionUnits({ added: 1, listSize: 501 }));
    expect(oneMore.spentOn()).toBeGreaterThan(50);
  });

  it('writes no subscription when the budget cannot hold what it would write', async () => {
    const { ports } = setup();
    await expect(subscribeToPresence({ subscriber: { userId: 'alice', connectionId: 'a1' }, userIds: ids('u', 500), now: NOW, ...ports, purse: new InMemoryPurse({ actions: 100 }) })).rejects.toMatchObject({
      code: 'rate_limited',
    });
    expect(ports.subscriptions.rows).toEqual([]);
  });

  // updateSettings told every subscriber and every watched user's state, whatever their number, for the 5 units of any frame.
  it('charges an active status change by the connections it tells and the users it checks, before it writes; nothing for a change of neither', async () => {
    const { ports } = setup();
    for (let i = 0; i < 30; i++) await ports.subscriptions.subscribe({ userId: `w${i}`, connectionId: `w${i}-1` }, ['alice'], 9e9);
    await ports.subscriptions.subscribe({ userId: 'alice', connectionId: 'a1' }, ids('u', 20), 9e9);
    const expected = settingsChangeUnits({ connectionsTold: 30 + 1, usersChecked: 30 + 20 });

    const refusing = new InMemoryPurse({ actions: expected - 1 });
    await expect(updateSettings({ userId: 'alice', changes: { activeStatus: false }, ...ports, purse: refusing })).rejects.toMatchObject({ code: 'rate_limited' });
    expect((await ports.settings.settingsOf(['alice'])).get('alice')!.activeStatus).toBe(true);
    expect(ports.notifier.posts).toEqual([]);

    const purse = new InMemoryPurse();
    await updateSettings({ userId: 'alice', changes: { activeStatus: false }, ...ports, purse });
    expect(purse.spentOn()).toBe(expected);
    expect(ports.notifier.posts).toHaveLength(31);

    // Off already: nothing changes, nothing is told, and the charge comes back.
    const unchanged = new InMemoryPurse();
    await updateSettings({ userId: 'alice', changes: { activeStatus: false }, ...ports, purse: unchanged });
    expect(unchanged.spentOn()).toBe(0);
  });
});
