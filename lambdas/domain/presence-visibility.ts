import type { UserSettingsStore } from './settings';

/** Who shares a thread with whom: their direct thread, or a group both are members of. */
export interface SharedThreads {
  /** The users among `others` who share at least one thread with `userId`. */
  sharingAThreadWith(userId: string, others: readonly string[]): Promise<Set<string>>;
}

export interface PresenceVisibilityPorts {
  readonly sharedThreads: SharedThreads;
  readonly settings: UserSettingsStore;
}

/** Whom a user's presence concerns, seen from that user. */
export interface PresenceAudience {
  /** Users who share a thread with the user: they may hold a subscription to each other. */
  readonly related: ReadonlySet<string>;
  /** Of those, the ones who see each other right now: a subset of `related`. */
  readonly visible: ReadonlySet<string>;
}

/**
 * THE decision of who sees whose presence; every answer and every published change goes through
 * it. It is symmetric, so it serves both directions: `userId` and another user see each other
 * when they share a thread and both have active status on (as Messenger does, hiding your own
 * status hides everyone's from you). Everyone else (a stranger, an unknown id, a hidden user) is
 * answered alike, as offline without `lastSeen`. A user always sees themselves.
 *
 * A block between two users (either way) belongs here too: remove them from `visible` (and
 * `related`, if a block should also end their subscriptions).
 */
export async function presenceAudience({
  userId,
  others,
  sharedThreads,
  settings,
}: PresenceVisibilityPorts & { readonly userId: string; readonly others: readonly string[] }): Promise<PresenceAudience> {
  const candidates = [...new Set(others)].filter((other) => other !== userId);
  const self = others.includes(userId) ? [userId] : [];
  const related = new Set([...self, ...(candidates.length === 0 ? [] : await sharedThreads.sharingAThreadWith(userId, candidates))]);
  const peers = [...related].filter((other) => other !== userId);
  if (peers.length === 0) return { related, visible: new Set(self) };
  const known = await settings.settingsOf([userId, ...peers]);
  if (!known.get(userId)!.activeStatus) return { related, visible: new Set(self) };
  return { related, visible: new Set([...self, ...peers.filter((peer) => known.get(peer)!.activeStatus)]) };
}
