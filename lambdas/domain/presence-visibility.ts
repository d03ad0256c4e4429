import type { UserSettingsStore } from './settings';
import type { BlockList } from './user-pairs';

/** Who shares an accepted thread with whom: their direct thread, or a group both are members of, neither by request. */
export interface SharedThreads {
  /** The users among `others` who share at least one thread with `userId` that neither holds by request (or declined). */
  sharingAThreadWith(userId: string, others: readonly string[]): Promise<Set<string>>;
}

export interface PresenceVisibilityPorts {
  readonly sharedThreads: SharedThreads;
  readonly settings: UserSettingsStore;
  readonly blocks: BlockList;
}

/** Whom a user's presence concerns, seen from that user. */
export interface PresenceAudience {
  /** Users who may hold a subscription to the user (and the user to them): no block, and the audiences allow it. */
  readonly related: ReadonlySet<string>;
  /** Of those, the ones who see each other right now (both have active status on): a subset of `related`. */
  readonly visible: ReadonlySet<string>;
}

/**
 * THE decision of who sees whose presence; every answer and every published change goes through
 * it. It is symmetric, so it serves both directions: `userId` and another user see each other
 * exactly when
 * - neither has blocked the other (a block hides both ways, as Messenger does);
 * - both have active status on (as Messenger does, hiding your own status hides everyone's from you);
 * - when either has the presence audience `threads`, they share an accepted thread (a message
 *   request is not one). Seeing is mutual here too: limiting your audience limits whom you see.
 *   With both on `everyone` (the default) anyone sees anyone, as the client contract has it.
 *
 * Everyone else (a blocked user, a stranger under `threads`, an unknown id, a hidden user) is
 * answered alike, as offline without `lastSeen`. A user always sees themselves. A block or the
 * audiences put a user out of `related` (their subscription ends); active status off only out of
 * `visible` (the subscription stays, to resume when it comes back on). The shared threads are read
 * only for the users whom a `threads` audience concerns; with the defaults the decision costs one
 * batch read of settings and one of blocks per 100 users, side by side.
 */
export async function presenceAudience({
  userId,
  others,
  sharedThreads,
  settings,
  blocks,
}: PresenceVisibilityPorts & { readonly userId: string; readonly others: readonly string[] }): Promise<PresenceAudience> {
  const candidates = [...new Set(others)].filter((other) => other !== userId);
  const self = others.includes(userId) ? [userId] : [];
  if (candidates.length === 0) return { related: new Set(self), visible: new Set(self) };

  const [known, blocked] = await Promise.all([settings.settingsOf([userId, ...candidates]), blocks.blockedAmong(userId, candidates)]);
  const own = known.get(userId)!;
  const unblocked = candidates.filter((other) => !blocked.has(other));
  const needThread = new Set(unblocked.filter((other) => own.presenceAudience === 'threads' || known.get(other)!.presenceAudience === 'threads'));
  const sharing = needThread.size === 0 ? new Set<string>() : await sharedThreads.sharingAThreadWith(userId, [...needThread]);
  const peers = unblocked.filter((other) => !needThread.has(other) || sharing.has(other));

  const related = new Set([...self, ...peers]);
  if (!own.activeStatus) return { related, visible: new Set(self) };
  return { related, visible: new Set([...self, ...peers.filter((peer) => known.get(peer)!.activeStatus)]) };
}
