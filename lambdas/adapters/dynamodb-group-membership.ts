import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  paginateQuery,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { batchWrite, type BatchWriteRequest } from './dynamodb-batch';
import { conditionHeld } from './dynamodb-conditions';
import { MEMBER_KEY_PREFIX, memberKey, META, ROW_ACTIVITY_KEY } from './dynamodb-thread-keys';
import { PLAIN_JOINING, type AddOutcome, type Joining, type Removal, type RemovalOutcome } from '../domain/chat/ports';
import type { MemberRole, ThreadHead } from '../domain/chat/threads';

/**
 * Group membership in the threads tables (`lib/constructs/chat-store.ts`), written so that every
 * change is atomic and the group head's counts are always exact:
 *
 * - The head (`sk = meta`) carries `memberCount` and `adminCount`. Every write that adds or removes
 *   a member changes them in the same transaction, on conditions: an add only while
 *   `memberCount + added <= cap`, an admin's leave only while another admin stays (or a successor is
 *   promoted in the same transaction), so that the cap and "a group always has an admin" hold at
 *   every moment, however many requests race.
 * - Creating a group writes the head last. A group of up to MEMBERS_PER_TRANSACTION members is
 *   one transaction. A larger one (up to 1024 members, 2 items each, past the 100 items of one
 *   transaction) writes its members' items first, then its head: until the head exists the group
 *   is invisible (listThreads leaves out threads without a head; sends, reads, receipts and
 *   membership changes answer not_found), and the creator's reply is only sent once it exists.
 *   Creation that fails midway deletes what it wrote; creation cut short by the function's death
 *   leaves headless items nobody can reach, and the client, which got no reply, creates it anew.
 * - Groups written before the counts existed have a head without `memberCount`: the first change
 *   that needs the counts, or the first read of the head (dynamodb-thread-store.ts), (a strongly consistent Query) and sets both counts
 *   on condition that they are still unset, then goes on. Every later change keeps them exact.
 */

/** Each member is two items (membership and thread row) and the head one more: 1 + 2 * 49 = 99 of 100. */
export const MEMBERS_PER_TRANSACTION = 49;
/** BatchWriteItem takes 25 items; a large group's are written this many batches at a time. */
const BATCH_WRITE_SIZE = 25;
const BATCHES_IN_FLIGHT = 8;
/** A chunk retried this often after transaction conflicts with other writes to the group gives up. */
const CONFLICT_ATTEMPTS = 5;

export interface GroupTables {
  readonly threads: string;
  readonly userThreads: string;
}

export class DynamoDbGroupMembership {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: GroupTables,
  ) {}

  async createGroup(head: ThreadHead, creator: string, members: readonly string[], now: number, joining: Joining = PLAIN_JOINING): Promise<void> {
    const { threadId } = head;
    const requests = new Set(joining.requests);
    const everyone: Array<[string, MemberRole]> = [[creator, 'admin'], ...members.map((userId): [string, MemberRole] => [userId, 'member'])];
    const headItem = {
      threadId,
      sk: META,
      kind: 'group',
      name: head.name,
      ...(head.historyForNewMembers === undefined ? {} : { historyForNewMembers: head.historyForNewMembers }),
      createdAt: now,
      createdBy: creator,
      lastSeq: 0,
      lastActivity: now,
      memberCount: everyone.length,
      adminCount: 1,
    };
    const putHead = { TableName: this.tables.threads, Item: headItem, ConditionExpression: 'attribute_not_exists(threadId)' };
    // Every row is written at `now`: the relay need not move them for a message within the lag (dynamodb-user-threads.ts).
    const rowsMark = { TableName: this.tables.threads, Item: { threadId, sk: ROW_ACTIVITY_KEY, rowActivity: now } };
    if (everyone.length <= MEMBERS_PER_TRANSACTION) {
      const puts = [...everyone.flatMap(([userId, role]) => this.memberPuts(threadId, userId, role, now, requests.has(userId) ? joining : undefined)), rowsMark];
      await this.client.send(new TransactWriteCommand({ TransactItems: [...puts.map((Put) => ({ Put })), { Put: putHead }] }));
      return;
    }
    const writes: BatchWriteRequest[] = [
      ...everyone.flatMap(([userId, role]) =>
        this.memberPuts(threadId, userId, role, now, requests.has(userId) ? joining : undefined).map(({ TableName, Item }) => ({ table: TableName, put: Item })),
      ),
      { table: rowsMark.TableName, put: rowsMark.Item },
    ];
    try {
      await this.writeAll(writes);
      await this.client.send(new PutCommand(putHead));
    } catch (error) {
      // Best effort: the group is invisible without its head anyway.
      const deletes = writes.map(({ table, put }) => ({ table, deleteKey: keyOf(table === this.tables.threads, put!) }));
      await this.writeAll(deletes).catch(() => undefined);
      throw error;
    }
  }

  async addMembers(threadId: string, userIds: readonly string[], maxMembers: number, now: number, joining: Joining = PLAIN_JOINING): Promise<AddOutcome> {
    const added: string[] = [];
    const present = new Set<string>();
    for (let start = 0; start < userIds.length; start += MEMBERS_PER_TRANSACTION) {
      let pending = userIds.slice(start, start + MEMBERS_PER_TRANSACTION);
      for (let conflicts = 0; pending.length > 0; ) {
        const result = await this.addChunk(threadId, pending, maxMembers, now, joining);
        if (result === 'added') {
          added.push(...pending);
          break;
        }
        if (result === 'full') return { added, refused: userIds.filter((userId) => !added.includes(userId) && !present.has(userId)) };
        if (result === 'conflict' && ++conflicts >= CONFLICT_ATTEMPTS) {
          return { added, refused: [], unsettled: userIds.filter((userId) => !added.includes(userId) && !present.has(userId)) };
        }
        if (Array.isArray(result)) {
          // Already members: their items, receipts included, stay as they are and count once.
          for (const userId of result) present.add(userId);
          pending = pending.filter((userId) => !present.has(userId));
        }
      }
    }
    return { added, refused: [] };
  }

  async removeMember(threadId: string, { userId, role, successor }: Removal): Promise<RemovalOutcome> {
    const adminDelta = (successor === undefined ? 0 : 1) - (role === 'admin' ? 1 : 0);
    // An admin who leaves without a successor leaves only while another admin stays, or as the last member.
    const keepsAnAdmin = role === 'admin' && successor === undefined ? ' AND (adminCount > :one OR memberCount = :one)' : '';
    const items = [
      {
        Delete: {
          TableName: this.tables.threads,
          Key: { threadId, sk: memberKey(userId) },
          ConditionExpression: '#role = :role',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':role': role },
        },
      },
      { Delete: { TableName: this.tables.userThreads, Key: { userId, threadId } } },
      {
        Update: {
          TableName: this.tables.threads,
          Key: { threadId, sk: META },
          UpdateExpression: 'SET memberCount = memberCount - :one, adminCount = adminCount + :adminDelta',
          ConditionExpression: `attribute_exists(memberCount)${keepsAnAdmin}`,
          ExpressionAttributeValues: { ':one': 1, ':adminDelta': adminDelta },
        },
      },
      ...(successor === undefined
        ? []
        : [
            {
              Update: {
                TableName: this.tables.threads,
                Key: { threadId, sk: memberKey(successor) },
                UpdateExpression: 'SET #role = :admin',
                ConditionExpression: '#role = :member',
                ExpressionAttributeNames: { '#role': 'role' },
                ExpressionAttributeValues: { ':admin': 'admin', ':member': 'member' },
              },
            },
          ]),
    ];
    for (;;) {
      const reasons = await this.transact(items);
      if (reasons === undefined) return 'removed';
      if (reasons[2]?.Code === 'ConditionalCheckFailed' && !(await this.counted(threadId))) continue;
      // The roles, the successor or the admins changed since the caller read them: nothing was written.
      return 'changed';
    }
  }

  /** Adds `userIds` (none of them known to be members) in one transaction with the head's count. */
  private async addChunk(
    threadId: string,
    userIds: readonly string[],
    maxMembers: number,
    now: number,
    joining: Joining,
  ): Promise<'added' | 'full' | 'conflict' | string[]> {
    const requests = new Set(joining.requests);
    const reasons = await this.transact([
      {
        Update: {
          TableName: this.tables.threads,
          Key: { threadId, sk: META },
          UpdateExpression: 'SET memberCount = memberCount + :added',
          ConditionExpression: 'memberCount <= :room',
          ExpressionAttributeValues: { ':added': userIds.length, ':room': maxMembers - userIds.length },
        },
      },
      ...userIds.flatMap((userId) => {
        const [membership, row] = this.memberPuts(threadId, userId, 'member', now, requests.has(userId) ? joining : undefined, joining.joinedSeq);
        // The membership decides: the row of someone not a member is a leftover and is replaced.
        return [{ Put: { ...membership, ConditionExpression: 'attribute_not_exists(sk)' } }, { Put: row }];
      }),
    ]);
    if (reasons === undefined) return 'added';
    const alreadyMembers = userIds.filter((_, i) => reasons[1 + 2 * i]?.Code === 'ConditionalCheckFailed');
    if (alreadyMembers.length > 0) return alreadyMembers;
    if (reasons[0]?.Code === 'ConditionalCheckFailed') return (await this.counted(threadId)) ? 'full' : 'conflict';
    return 'conflict';
  }

  /**
   * Whether the group's head has its counts; a head written before they existed gets them now.
   * False when they were just set (the caller tries again), true when they were there already.
   */
  private async counted(threadId: string): Promise<boolean> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tables.threads, Key: { threadId, sk: META }, ConsistentRead: true }));
    if (Item === undefined) throw new Error(`group ${threadId} has no head`);
    if (Item.memberCount !== undefined) return true;
    await this.keepCounts(threadId);
    return false;
  }

  /** A group's members, counted by one strongly consistent Select COUNT Query (pages summed), nothing written. */
  async countMembers(threadId: string): Promise<number> {
    let members = 0;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tables.threads,
        KeyConditionExpression: 'threadId = :threadId AND begins_with(sk, :member)',
        ExpressionAttributeValues: { ':threadId': threadId, ':member': MEMBER_KEY_PREFIX },
        Select: 'COUNT',
        ConsistentRead: true,
      },
    );
    for await (const page of pages) members += page.Count ?? 0;
    return members;
  }

  /**
   * Counts the members and admins of a group whose head was written before the counts existed
   * (a strongly consistent Query), and sets both counts on its head unless they are set by now.
   * Returns the members counted.
   */
  async keepCounts(threadId: string): Promise<number> {
    let members = 0;
    let admins = 0;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tables.threads,
        KeyConditionExpression: 'threadId = :threadId AND begins_with(sk, :member)',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':threadId': threadId, ':member': MEMBER_KEY_PREFIX },
        ProjectionExpression: '#role',
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        members++;
        if (item.role === 'admin') admins++;
      }
    }
    // Two first uses may count at once: both counted the same members, and one of them sets the counts.
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.threads,
          Key: { threadId, sk: META },
          UpdateExpression: 'SET memberCount = :members, adminCount = :admins',
          ConditionExpression: 'attribute_not_exists(memberCount)',
          ExpressionAttributeValues: { ':members': members, ':admins': admins },
        }),
      ),
    );
    return members;
  }

  /**
   * Batch writes, BATCHES_IN_FLIGHT at once: a 1024-member group's 2048 items one batch after
   * another take longer than the 29 s a client waits for its reply on a busy machine.
   */
  private async writeAll(requests: readonly BatchWriteRequest[]): Promise<void> {
    const batches: BatchWriteRequest[][] = [];
    for (let start = 0; start < requests.length; start += BATCH_WRITE_SIZE) batches.push(requests.slice(start, start + BATCH_WRITE_SIZE));
    for (let start = 0; start < batches.length; start += BATCHES_IN_FLIGHT) {
      // Settled, not Promise.all: every batch has finished before a failure is thrown (and none rejects unheard).
      const results = await Promise.allSettled(batches.slice(start, start + BATCHES_IN_FLIGHT).map((batch) => batchWrite(this.client, batch)));
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    }
  }

  /** Runs a transaction: undefined when it committed, each item's reason when it was cancelled. */
  private async transact(items: NonNullable<TransactWriteCommandInput['TransactItems']>) {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return error.CancellationReasons ?? [];
      throw error;
    }
  }

  /**
   * A member's two items: the membership in the group and the group's row in the member's thread
   * list. `request` when they land by request; `joinedSeq` is where the thread stood as they joined.
   */
  private memberPuts(threadId: string, userId: string, role: MemberRole, now: number, request?: Joining, joinedSeq = 0) {
    const byRequest = request === undefined ? {} : { consent: 'request', requestedBy: request.requestedBy };
    return [
      { TableName: this.tables.threads, Item: { threadId, sk: memberKey(userId), userId, role, joinedAt: now, joinedSeq, ...byRequest } },
      {
        TableName: this.tables.userThreads,
        Item: { userId, threadId, kind: 'group', joinedAt: now, lastActivity: now, lastSeq: 0, deliveredSeq: 0, readSeq: 0 } as Record<string, unknown>,
      },
    ] as const;
  }
}

function keyOf(inThreads: boolean, item: Record<string, unknown>): Record<string, unknown> {
  return inThreads ? { threadId: item.threadId, sk: item.sk } : { userId: item.userId, threadId: item.threadId };
}
