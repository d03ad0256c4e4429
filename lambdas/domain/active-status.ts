import type { ConnectionNotifier } from './chat/ports';
import { inPool } from './pool';
import { hiddenPresence, type PresenceStatusStore, type PresenceSubscriptions, type UserPresence } from './presence';
import { presenceAudience, type PresenceVisibilityPorts } from './presence-visibility';
import type { UserSettings } from './settings';

/** Posts in flight at once. */
const CONCURRENCY = 16;

export interface ActiveStatusPorts extends PresenceVisibilityPorts {
  readonly statuses: PresenceStatusStore;
  readonly subscriptions: PresenceSubscriptions;
  readonly notifier: ConnectionNotifier;
}

export interface SettingsChangeReport {
  readonly settings: UserSettings;
  /** Frames that could not be posted: those connections keep the state they had until they subscribe again. */
  readonly failedPosts: unknown[];
}

/**
 * Changes a user's settings. When active status flips or the presence audience changes, both
 * directions are told at once: the user's subscribers (hidden when they may no longer see the
 * user, the user's state when they may), and the user's own connections, about everyone they
 * watch (hidden or as they now see them). A subscription that the audience no longer allows stays
 * until the next change of either user, which ends it (presence.ts, publishPresenceChanges). Best effort: a connection that misses its frame is corrected by its
 * next subscription, and the flip itself is already stored.
 */
export async function updateSettings({
  userId,
  changes,
  ...ports
}: ActiveStatusPorts & { readonly userId: string; readonly changes: Partial<UserSettings> }): Promise<SettingsChangeReport> {
  const { before, after } = await ports.settings.update(userId, changes);
  if (before.activeStatus === after.activeStatus && before.presenceAudience === after.presenceAudience) return { settings: after, failedPosts: [] };

  const frames = new Map<string, UserPresence[]>();
  const add = (connectionId: string, users: UserPresence[]) => {
    if (users.length > 0) frames.set(connectionId, [...(frames.get(connectionId) ?? []), ...users]);
  };

  const subscribers = (await ports.subscriptions.subscribersOf(userId)).filter((subscriber) => subscriber.userId !== userId);
  const watching = await ports.subscriptions.watchedBy(userId);
  const others = [...subscribers.map((subscriber) => subscriber.userId), ...watching.flatMap(({ watched }) => watched)];
  const { visible } = await presenceAudience({ userId, others, ...ports });
  const current = new Map((await ports.statuses.statusesOf([userId, ...visible])).map((presence) => [presence.userId, presence]));
  const stateOf = (user: string) => current.get(user) ?? hiddenPresence(user);

  // Seeing is mutual: a subscriber sees the user exactly when the user sees them.
  for (const subscriber of subscribers) add(subscriber.connectionId, [visible.has(subscriber.userId) ? stateOf(userId) : hiddenPresence(userId)]);
  for (const { connectionId, watched } of watching) {
    add(connectionId, watched.filter((other) => other !== userId).map((other) => (visible.has(other) ? stateOf(other) : hiddenPresence(other))));
  }

  const failedPosts: unknown[] = [];
  await inPool([...frames], CONCURRENCY, async ([connectionId, users]) => {
    try {
      if ((await ports.notifier.post(connectionId, { type: 'presence', users })) === 'gone') await ports.subscriptions.endSubscriptionsOf(connectionId);
    } catch (error) {
      failedPosts.push(error);
    }
  });
  return { settings: after, failedPosts };
}
