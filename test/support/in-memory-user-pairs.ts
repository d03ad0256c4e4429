import { directThreadId } from '../../lambdas/domain/chat/threads';
import { isBlockedPair, type BlocksPage, type PairState, type UserPairs } from '../../lambdas/domain/user-pairs';

/** The pair states' contract, in memory, for domain tests: keyed as the DynamoDB store keys them, by the pair's one-to-one thread id. */
export class InMemoryUserPairs implements UserPairs {
  readonly byThreadId = new Map<string, { blockedBy: Set<string>; acceptedBy: Set<string> }>();
  private readonly blocks = new Map<string, Set<string>>();

  /** The state of the pair whose one-to-one thread is `threadId`, as a send reads it. */
  stateOf(threadId: string): PairState | undefined {
    const pair = this.byThreadId.get(threadId);
    return pair && { blockedBy: [...pair.blockedBy], acceptedBy: [...pair.acceptedBy] };
  }

  /** `userId` accepts messages from `otherId` (what a first message, a reply or an accept records). */
  accept(userId: string, otherId: string): void {
    this.pair(userId, otherId).acceptedBy.add(userId);
  }

  async pairsWith(userId: string, others: readonly string[]): Promise<Map<string, PairState>> {
    const states = new Map<string, PairState>();
    for (const other of new Set(others)) {
      const state = other === userId ? undefined : this.stateOf(directThreadId(userId, other));
      if (state) states.set(other, state);
    }
    return states;
  }

  async isBlocked(userId: string, otherId: string): Promise<boolean> {
    return (await this.blockedAmong(userId, [otherId])).has(otherId);
  }

  async blockedAmong(userId: string, others: readonly string[]): Promise<Set<string>> {
    return new Set([...(await this.pairsWith(userId, others))].filter(([, state]) => isBlockedPair(state)).map(([other]) => other));
  }

  async block(ownerId: string, otherId: string): Promise<void> {
    this.pair(ownerId, otherId).blockedBy.add(ownerId);
    this.blocks.set(ownerId, (this.blocks.get(ownerId) ?? new Set()).add(otherId));
  }

  async unblock(ownerId: string, otherId: string): Promise<void> {
    this.pair(ownerId, otherId).blockedBy.delete(ownerId);
    this.blocks.get(ownerId)?.delete(otherId);
  }

  async blocksOf(ownerId: string, limit: number, after?: string): Promise<BlocksPage> {
    const all = [...(this.blocks.get(ownerId) ?? [])].sort().filter((userId) => after === undefined || userId > after);
    const userIds = all.slice(0, limit);
    return { userIds, ...(all.length > limit ? { next: userIds[userIds.length - 1] } : {}) };
  }

  private pair(userA: string, userB: string) {
    const threadId = directThreadId(userA, userB);
    let pair = this.byThreadId.get(threadId);
    if (pair === undefined) this.byThreadId.set(threadId, (pair = { blockedBy: new Set(), acceptedBy: new Set() }));
    return pair;
  }
}
