import { paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { directThreadId } from '../domain/chat/threads';
import { inPool } from '../domain/pool';
import type { SharedThreads } from '../domain/presence-visibility';

/** Queries in flight at once. */
const CONCURRENCY = 16;

/**
 * Who shares a thread with whom, read from the chat store's tables (`lib/constructs/chat-store.ts`)
 * in as few reads as the question allows, for up to hundreds of users at once:
 *
 * 1. One Query of the user's own thread rows (user threads table, one partition).
 * 2. Direct threads cost nothing more: the thread of two users has a derived id, so each other
 *    user shares one exactly when that id is among the user's rows.
 * 3. Groups: whichever side is smaller is read. Either the members of each of the user's groups
 *    (one Query per group, stopping once every other user is placed), or the thread rows of each
 *    other user not yet placed (one Query each), kept to the user's groups.
 *
 * So a call costs 1 + min(groups, others not in a direct thread) Queries.
 */
export class DynamoDbSharedThreads implements SharedThreads {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: { readonly threads: string; readonly userThreads: string },
  ) {}

  async sharingAThreadWith(userId: string, others: readonly string[]): Promise<Set<string>> {
    const sharing = new Set<string>();
    const threadIds = new Set<string>();
    const groupIds: string[] = [];
    for (const row of await this.threadRowsOf(userId)) {
      threadIds.add(row.threadId);
      if (row.kind === 'group') groupIds.push(row.threadId);
    }
    const unplaced = new Set(others.filter((other) => other !== userId));
    for (const other of unplaced) {
      if (threadIds.has(directThreadId(userId, other))) {
        sharing.add(other);
        unplaced.delete(other);
      }
    }
    if (unplaced.size === 0 || groupIds.length === 0) return sharing;

    if (groupIds.length <= unplaced.size) {
      await inPool(groupIds, CONCURRENCY, async (threadId) => {
        if (unplaced.size === 0) return;
        for (const member of await this.membersOf(threadId)) {
          if (unplaced.delete(member)) sharing.add(member);
        }
      });
    } else {
      const groups = new Set(groupIds);
      await inPool([...unplaced], CONCURRENCY, async (other) => {
        if ((await this.threadRowsOf(other)).some((row) => groups.has(row.threadId))) sharing.add(other);
      });
    }
    return sharing;
  }

  private async threadRowsOf(userId: string): Promise<Array<{ threadId: string; kind: unknown }>> {
    return (
      await this.queryAll({
        TableName: this.tables.userThreads,
        KeyConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':userId': userId },
        ProjectionExpression: 'threadId, kind',
        // Strongly: someone who just left a group must no longer count as sharing it.
        ConsistentRead: true,
      })
    ).map((item) => ({ threadId: String(item.threadId), kind: item.kind }));
  }

  private async membersOf(threadId: string): Promise<string[]> {
    return (
      await this.queryAll({
        TableName: this.tables.threads,
        KeyConditionExpression: 'threadId = :threadId AND begins_with(sk, :member)',
        ExpressionAttributeValues: { ':threadId': threadId, ':member': 'member#' },
        ProjectionExpression: 'userId',
        ConsistentRead: true,
      })
    ).map((item) => String(item.userId));
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client: this.client }, input)) items.push(...(page.Items ?? []));
    return items;
  }
}
