import { settingsChangeUnits, type Purse } from './budget';
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
 *
 * A change that may tell others is paid for before it is written, by the subscribers and watch
 * lists read first (settingsChangeUnits); over budget nothing is written. When it turns out to
 * change neither setting, the charge is given back. The subscribers are read again after the
 * write, as they were before there was a charge: a subscription made while the setting changed is
 * either found then or reads the new setting itself (subscribeToPresence).
 */
export async function updateSettings({
  userId,
  changes,
  purse,
  ...ports
}: ActiveStatusPorts & { readonly userId: string; readonly changes: Partial<UserSettings>; readonly purse: Purse }): Promise<SettingsChangeReport> {
  const mayTell = changes.activeStatus !== undefined || changes.presenceAudience !== undefined;
  let charged = 0;
  let watching: Awaited<ReturnType<PresenceSubscriptions['watchedBy']>> = [];
  if (mayTell) {
    const [counted, lists] = await Promise.all([ports.subscriptions.subscribersOf(userId), ports.subscriptions.watchedBy(userId)]);
    watching = lists;
    const watched = lists.reduce((sum, list) => sum + list.watched.length, 0);
    charged = settingsChangeUnits({ connectionsTold: counted.length + lists.length, usersChecked: counted.length + watched });
    await purse.spend(charged);
  }
  const { before, after } = await ports.settings.update(userId, changes);
  if (before.activeStatus === after.activeStatus && before.presenceAudience === after.presenceAudience) {
    await purse.giveBack(charged);
    return { settings: after, failedPosts: [] };
  }

  const frames = new Map<string, UserPresence[]>();
  const add = (connectionId: string, users: UserPresence[]) => {
    if (users.length > 0) frames.set(connectionId, [...(frames.get(connectionId) ?? []), ...users]);
  };

  const subscribers = (await ports.subscriptions.subscribersOf(userId)).filter((subscriber) => subscriber.userId !== userId);
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
