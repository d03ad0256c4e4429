import { paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { directThreadId } from '../domain/chat/threads';
import { batchGetAll } from './dynamodb-batch';
import { memberKey } from './dynamodb-thread-store';
import { inPool } from '../domain/pool';
import type { SharedThreads } from '../domain/presence-visibility';

/** Queries in flight at once. */
const CONCURRENCY = 16;

/** A thread and another user who may share it with the user asked about. */
interface Candidate {
  readonly threadId: string;
  readonly other: string;
}

/**
 * Who shares an accepted thread with whom, read from the chat store's tables
 * (`lib/constructs/chat-store.ts`) in as few reads as the question allows, for up to hundreds of
 * users at once. A thread that either user holds by message request (`consent` on their
 * membership item: `request` or `declined`) does not count.
 *
 * 1. One Query of the user's own thread rows (user threads table, one partition).
 * 2. Direct threads: the thread of two users has a derived id, so each other user may share one
 *    only when that id is among the user's rows; the two membership items of each such thread are
 *    then read in batches (one BatchGetItem per 50 pairs) to skip requests.
 * 3. Groups: whichever side is smaller is read. Either the members of each of the user's groups
 *    (one Query per group, stopping once every other user is placed), or the thread rows of each
 *    other user not yet placed (one Query each), kept to the user's groups, whose two membership
 *    items are then read in batches.
 *
 * So a call costs 1 + min(groups, others not in a direct thread) Queries, and a BatchGetItem per
 * 50 candidate pairs. Presence asks only when a user limits their audience to threads.
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
    const direct = [...unplaced].map((other) => ({ threadId: directThreadId(userId, other), other })).filter(({ threadId }) => threadIds.has(threadId));
    for (const other of await this.acceptedByBoth(userId, direct)) {
      sharing.add(other);
      unplaced.delete(other);
    }
    if (unplaced.size === 0 || groupIds.length === 0) return sharing;

    if (groupIds.length <= unplaced.size) {
      await inPool(groupIds, CONCURRENCY, async (threadId) => {
        if (unplaced.size === 0) return;
        const members = await this.membersOf(threadId);
        if (members.some((member) => member.userId === userId && member.consent !== undefined)) return;
        for (const member of members) {
          if (member.consent === undefined && unplaced.delete(member.userId)) sharing.add(member.userId);
        }
      });
    } else {
      const groups = new Set(groupIds);
      const candidates: Candidate[] = [];
      await inPool([...unplaced], CONCURRENCY, async (other) => {
        for (const row of await this.threadRowsOf(other)) if (groups.has(row.threadId)) candidates.push({ threadId: row.threadId, other });
      });
      for (const other of await this.acceptedByBoth(userId, candidates)) sharing.add(other);
    }
    return sharing;
  }

  /** The others of the candidates whose thread both they and the user hold as ordinary members (neither by request). */
  private async acceptedByBoth(userId: string, candidates: readonly Candidate[]): Promise<Set<string>> {
    const keys = new Map<string, { threadId: string; sk: string }>();
    for (const { threadId, other } of candidates) {
      for (const member of [userId, other]) keys.set(`${threadId} ${member}`, { threadId, sk: memberKey(member) });
    }
    const accepted = new Set<string>();
    const items = await batchGetAll(this.client, this.tables.threads, [...keys.values()], { ConsistentRead: true, ProjectionExpression: 'threadId, userId, consent' });
    for (const item of items) {
      if (item.consent === undefined) accepted.add(`${String(item.threadId)} ${String(item.userId)}`);
    }
    return new Set(
      candidates.filter(({ threadId, other }) => accepted.has(`${threadId} ${userId}`) && accepted.has(`${threadId} ${other}`)).map(({ other }) => other),
    );
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

  private async membersOf(threadId: string): Promise<Array<{ userId: string; consent: unknown }>> {
    return (
      await this.queryAll({
        TableName: this.tables.threads,
        KeyConditionExpression: 'threadId = :threadId AND begins_with(sk, :member)',
        ExpressionAttributeValues: { ':threadId': threadId, ':member': 'member#' },
        ProjectionExpression: 'userId, consent',
        ConsistentRead: true,
      })
    ).map((item) => ({ userId: String(item.userId), consent: item.consent }));
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client: this.client }, input)) items.push(...(page.Items ?? []));
    return items;
  }
}
