/**
 * Where two users stand with each other, whatever thread they meet in: who of them has blocked the
 * other, and who has accepted messages from the other (docs/protocol.md, "Blocking" and "Message
 * requests"). Chat, typing and presence read it; only the chat function changes it.
 */

/** One pair of users' state. Both lists hold at most the two users of the pair. */
export interface PairState {
  /** Who of the two has blocked the other. */
  readonly blockedBy: readonly string[];
  /** Who of the two accepts messages from the other: they messaged them first, replied, or accepted their request. */
  readonly acceptedBy: readonly string[];
}

export const NO_PAIR_STATE: PairState = { blockedBy: [], acceptedBy: [] };

/**
 * The read side of blocks, for every function that must hide one user from another: a blocked user
 * cannot message you, add you to a group, see your presence or see you typing, and you see none of
 * theirs either.
 */
export interface BlockList {
  /** Whether either of the two has blocked the other. */
  isBlocked(userId: string, otherId: string): Promise<boolean>;
  /** Of `others`, those between whom and `userId` there is a block, either way. One batch read per 100. */
  blockedAmong(userId: string, others: readonly string[]): Promise<Set<string>>;
}

/** A page of the users someone has blocked, in user id order. */
export interface BlocksPage {
  readonly userIds: string[];
  /** Where the next page starts, when there is one. */
  readonly next?: string;
}

/** The pair states, read and changed. */
export interface UserPairs extends BlockList {
  /** The state of the pair `userId` forms with each of `others`; pairs with no state are left out. */
  pairsWith(userId: string, others: readonly string[]): Promise<Map<string, PairState>>;
  /** `ownerId` blocks `otherId`: listed among the owner's blocks and marked on the pair, in one write. */
  block(ownerId: string, otherId: string, now: number): Promise<void>;
  /** Undoes `block`; unblocking someone not blocked changes nothing. */
  unblock(ownerId: string, otherId: string): Promise<void>;
  /** The users `ownerId` has blocked, a page at a time. */
  blocksOf(ownerId: string, limit: number, after?: string): Promise<BlocksPage>;
}

/** Whether the pair state says either user blocked the other. */
export function isBlockedPair(pair: PairState | undefined): boolean {
  return (pair?.blockedBy.length ?? 0) > 0;
}
