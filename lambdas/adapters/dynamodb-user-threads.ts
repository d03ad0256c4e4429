import { paginateQuery, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './dynamodb-batch';
import { conditionHeld } from './dynamodb-conditions';
import { MEMBER_KEY_PREFIX, ROW_ACTIVITY_KEY } from './dynamodb-thread-keys';
import type { ThreadPosition, UserThread } from '../domain/chat/threads';

/**
 * The index of the user threads table that orders a user's threads by their rows' `lastActivity`.
 * Keys only: a receipt, which writes no key, writes nothing to it (lib/constructs/chat-store.ts).
 */
export const USER_THREADS_BY_ACTIVITY = 'byRecentActivity';
const ACTIVITY_CONCURRENCY = 16;

/** A row as the domain reads it: `read` implies `delivered`, so the delivered receipt is the greater of the two. */
function userThreadOf(item: Record<string, unknown>): UserThread {
  const readSeq = Number(item.readSeq ?? 0);
  return {
    threadId: String(item.threadId),
    lastActivity: Number(item.lastActivity ?? 0),
    lastSeq: Number(item.lastSeq ?? 0),
    deliveredSeq: Math.max(Number(item.deliveredSeq ?? 0), readSeq),
    readSeq,
  };
}

/**
 * Each user's rows of their threads (`userThreads`: position by activity, receipts), and the
 * item in each thread's partition that says how far the relay last moved its members' rows.
 */
export class DynamoDbUserThreads {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: { readonly threads: string; readonly userThreads: string },
  ) {}

  async positionsByActivity(userId: string, limit: number, atMost?: number, after?: ThreadPosition): Promise<{ positions: ThreadPosition[]; next?: ThreadPosition }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tables.userThreads,
        IndexName: USER_THREADS_BY_ACTIVITY,
        KeyConditionExpression: atMost === undefined ? 'userId = :userId' : 'userId = :userId AND lastActivity <= :atMost',
        ExpressionAttributeValues: { ':userId': userId, ...(atMost === undefined ? {} : { ':atMost': atMost }) },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: after && { userId, threadId: after.threadId, lastActivity: after.lastActivity },
      }),
    );
    const positions = (page.Items ?? []).map((item) => ({ threadId: String(item.threadId), lastActivity: Number(item.lastActivity ?? 0) }));
    const last = page.LastEvaluatedKey;
    return { positions, ...(last ? { next: { lastActivity: Number(last.lastActivity), threadId: String(last.threadId) } } : {}) };
  }

  async rowsOf(userId: string, threadIds: readonly string[]): Promise<UserThread[]> {
    const keys = threadIds.map((threadId) => ({ userId, threadId }));
    return (await batchGetAll(this.client, this.tables.userThreads, keys, { ConsistentRead: false })).map(userThreadOf);
  }

  /**
   * The thread's members and how far their rows were last moved, in one strongly consistent Query:
   * the mark's sort key (`ROW_ACTIVITY_KEY`) sorts right after every membership's.
   */
  async membersAndRowActivity(threadId: string): Promise<{ members: string[]; rowActivity?: number }> {
    const members: string[] = [];
    let rowActivity: number | undefined;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tables.threads,
        KeyConditionExpression: 'threadId = :threadId AND sk BETWEEN :first AND :mark',
        ExpressionAttributeValues: { ':threadId': threadId, ':first': MEMBER_KEY_PREFIX, ':mark': ROW_ACTIVITY_KEY },
        ProjectionExpression: 'sk, userId, rowActivity',
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (item.sk === ROW_ACTIVITY_KEY) rowActivity = Number(item.rowActivity);
        else if (String(item.sk).startsWith(MEMBER_KEY_PREFIX)) members.push(String(item.userId));
      }
    }
    return { members, ...(rowActivity === undefined ? {} : { rowActivity }) };
  }

  async advanceActivity(threadId: string, members: readonly string[], seq: number, at: number): Promise<void> {
    // A row already at or past this message (a later one, or a redelivery), or of a member who left, stays.
    const advance = (userId: string) =>
      conditionHeld(
        this.client.send(
          new UpdateCommand({
            TableName: this.tables.userThreads,
            Key: { userId, threadId },
            UpdateExpression: 'SET lastSeq = :seq, lastActivity = :at',
            ConditionExpression: 'attribute_exists(threadId) AND (attribute_not_exists(lastSeq) OR lastSeq < :seq)',
            ExpressionAttributeValues: { ':seq': seq, ':at': at },
          }),
        ),
      );
    for (let start = 0; start < members.length; start += ACTIVITY_CONCURRENCY) {
      await Promise.all(members.slice(start, start + ACTIVITY_CONCURRENCY).map(advance));
    }
    // Marked only once every row has moved: a relay that dies before this moves them again.
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.threads,
          Key: { threadId, sk: ROW_ACTIVITY_KEY },
          UpdateExpression: 'SET rowActivity = :at',
          ConditionExpression: 'attribute_not_exists(rowActivity) OR rowActivity < :at',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  async advanceReceipt(userId: string, threadId: string, seq: number, status: 'delivered' | 'read'): Promise<boolean> {
    // One write either way: a read receipt moves only readSeq (read implies delivered as the row is
    // read, userThreadOf), and a delivered receipt moves only while neither receipt has reached seq.
    const ahead = (attribute: string) => `(attribute_not_exists(${attribute}) OR ${attribute} < :seq)`;
    const attribute = status === 'read' ? 'readSeq' : 'deliveredSeq';
    return conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.userThreads,
          Key: { userId, threadId },
          UpdateExpression: `SET ${attribute} = :seq`,
          ConditionExpression: `attribute_exists(threadId) AND ${ahead('readSeq')}${status === 'read' ? '' : ` AND ${ahead('deliveredSeq')}`}`,
          ExpressionAttributeValues: { ':seq': seq },
        }),
      ),
    );
  }
}
