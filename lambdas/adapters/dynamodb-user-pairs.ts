import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './dynamodb-batch';
import { directThreadId } from '../domain/chat/threads';
import { isBlockedPair, type BlocksPage, type PairState, type UserPairs } from '../domain/user-pairs';

/** The pair item's sort key, in the partition of the two users' one-to-one thread. */
export const PAIR_SK = 'pair';

export interface UserPairTables {
  /** Where each pair's item lives: `threadId` = the pair's one-to-one thread id, `sk` = `pair`. */
  readonly threads: string;
  /** Partition key `userId` (the blocker), sort key `blockedId`: each user's blocks, for listing them. */
  readonly blocks: string;
}

/** The key of the pair item of two users: the same from either side. */
export const pairKey = (userA: string, userB: string) => ({ threadId: directThreadId(userA, userB), sk: PAIR_SK });

/** A pair item as the domain reads it (string sets come back as `Set`s, absent when empty). */
export function pairStateOf(item: Record<string, unknown> | undefined): PairState | undefined {
  if (item === undefined) return undefined;
  const list = (value: unknown) => (value instanceof Set ? [...(value as Set<string>)] : []);
  return { blockedBy: list(item.blockedBy), acceptedBy: list(item.acceptedBy) };
}

/**
 * Pair states in the threads table, one item per pair in the partition of the pair's one-to-one
 * thread (whether or not that thread exists), so that a send reads its pair in the batch that
 * reads the thread (dynamodb-thread-store.ts, `loadSendContext`). A block is also listed under
 * its owner in the blocks table; both are written in one transaction, so they never disagree.
 */
export class DynamoDbUserPairs implements UserPairs {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: UserPairTables,
  ) {}

  async pairsWith(userId: string, others: readonly string[]): Promise<Map<string, PairState>> {
    const distinct = [...new Set(others)].filter((other) => other !== userId);
    const byThreadId = new Map(distinct.map((other) => [directThreadId(userId, other), other]));
    const pairs = new Map<string, PairState>();
    const keys = distinct.map((other) => pairKey(userId, other));
    for (const item of await batchGetAll(this.client, this.tables.threads, keys, { ConsistentRead: true })) {
      const other = byThreadId.get(String(item.threadId));
      if (other !== undefined) pairs.set(other, pairStateOf(item)!);
    }
    return pairs;
  }

  async isBlocked(userId: string, otherId: string): Promise<boolean> {
    return (await this.blockedAmong(userId, [otherId])).has(otherId);
  }

  async blockedAmong(userId: string, others: readonly string[]): Promise<Set<string>> {
    const pairs = await this.pairsWith(userId, others);
    return new Set([...pairs].filter(([, pair]) => isBlockedPair(pair)).map(([other]) => other));
  }

  async block(ownerId: string, otherId: string, now: number): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tables.blocks, Item: { userId: ownerId, blockedId: otherId, blockedAt: now } } },
          {
            Update: {
              TableName: this.tables.threads,
              Key: pairKey(ownerId, otherId),
              UpdateExpression: 'ADD blockedBy :owner',
              ExpressionAttributeValues: { ':owner': new Set([ownerId]) },
            },
          },
        ],
      }),
    );
  }

  async unblock(ownerId: string, otherId: string): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: this.tables.blocks, Key: { userId: ownerId, blockedId: otherId } } },
          {
            // DELETE from a set that it empties removes the attribute.
            Update: {
              TableName: this.tables.threads,
              Key: pairKey(ownerId, otherId),
              UpdateExpression: 'DELETE blockedBy :owner',
              ExpressionAttributeValues: { ':owner': new Set([ownerId]) },
            },
          },
        ],
      }),
    );
  }

  async blocksOf(ownerId: string, limit: number, after?: string): Promise<BlocksPage> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tables.blocks,
        KeyConditionExpression: 'userId = :owner',
        ExpressionAttributeValues: { ':owner': ownerId },
        Limit: limit,
        ExclusiveStartKey: after === undefined ? undefined : { userId: ownerId, blockedId: after },
      }),
    );
    const userIds = (page.Items ?? []).map((item) => String(item.blockedId));
    const last = page.LastEvaluatedKey;
    return { userIds, ...(last ? { next: String(last.blockedId) } : {}) };
  }
}
