import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  paginateQuery,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { batchGet, batchGetAll } from './dynamodb-batch';
import { MEMBER_KEY_PREFIX, memberKey, META, ROW_ACTIVITY_KEY } from './dynamodb-thread-keys';
import { DynamoDbGroupMembership } from './dynamodb-group-membership';
import { DynamoDbMemberConsent } from './dynamodb-member-consent';
import { messageKey, stagedMessageOf } from './dynamodb-staged-messages';
import { PAIR_SK, pairStateOf } from './dynamodb-user-pairs';
import { DynamoDbUserThreads } from './dynamodb-user-threads';
import {
  PLAIN_JOINING,
  type AddOutcome,
  type CommitOutcome,
  type CommitRequest,
  type Joining,
  type Membership,
  type Removal,
  type RemovalOutcome,
  type SendContext,
  type SendRecord,
  type ThreadStore,
} from '../domain/chat/ports';
import type { Consent, HistoryForNewMembers, Member, ThreadHead, ThreadPosition, UserThread } from '../domain/chat/threads';
import type { StoredMessage } from '../domain/messages';

/** Exported here as before (dynamodb-shared-threads.ts reads membership items too). */
export { memberKey };

export interface ChatTables {
  readonly threads: string;
  readonly userThreads: string;
  readonly sendRecords: string;
  /** Each user's blocks (dynamodb-user-pairs.ts). */
  readonly blocks: string;
}

/**
 * A send record's key, `<sender>#<clientMsgId>`, with `%` and `#` in the sender percent-escaped:
 * the first `#` then always ends the sender, so no two (sender, clientMsgId) pairs share a key,
 * whatever either contains. Ids without `%` and `#` keep the key they had before the escaping,
 * so records written earlier are still found.
 */
export const sendKeyOf = (senderId: string, clientMsgId: string) =>
  `${senderId.replace(/[%#]/g, (char) => (char === '%' ? '%25' : '%23'))}#${clientMsgId}`;

function headOf(item: Record<string, unknown>): ThreadHead {
  return {
    threadId: String(item.threadId),
    kind: item.kind as ThreadHead['kind'],
    lastSeq: Number(item.lastSeq),
    ...(item.name === undefined ? {} : { name: String(item.name) }),
    ...(item.historyForNewMembers === undefined ? {} : { historyForNewMembers: item.historyForNewMembers as HistoryForNewMembers }),
    ...(item.memberCount === undefined ? {} : { memberCount: Number(item.memberCount) }),
    ...(item.lastActivity === undefined ? {} : { lastActivity: Number(item.lastActivity) }),
    ...(item.lastMessage === undefined ? {} : { lastMessage: item.lastMessage as ThreadHead['lastMessage'] }),
  };
}

/** A membership item as the domain reads it. */
function membershipOf(item: Record<string, unknown>): Membership {
  return {
    role: item.role === 'admin' ? 'admin' : 'member',
    joinedSeq: Number(item.joinedSeq ?? 0),
    ...(item.consent === undefined ? {} : { consent: item.consent as Consent }),
    ...(item.requestedBy === undefined ? {} : { requestedBy: String(item.requestedBy) }),
  };
}

/** Send records make retries idempotent for at least a day; they are kept two. */
const SEND_RECORD_SECONDS = 2 * 24 * 3600;

/**
 * Threads in the tables of `lib/constructs/chat-store.ts`. A message commits in one DynamoDB
 * transaction: the thread head's `lastSeq` moves up by one only from the value the sender read
 * (so seqs have no holes and no duplicates), the message is staged, the send is recorded under
 * (sender, clientMsgId), and the sender's membership is checked, all or nothing.
 */
export class DynamoDbThreadStore implements ThreadStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: ChatTables,
  ) {
    this.groups = new DynamoDbGroupMembership(client, tables);
    this.consent = new DynamoDbMemberConsent(client, tables);
    this.rows = new DynamoDbUserThreads(client, tables);
  }

  /** Each user's thread rows: positions by activity, receipts (dynamodb-user-threads.ts). */
  private readonly rows: DynamoDbUserThreads;

  /** Requests accepted and declined (dynamodb-member-consent.ts). */
  private readonly consent: DynamoDbMemberConsent;

  /** Membership changes: atomic, and counted on the group head (dynamodb-group-membership.ts). */
  private readonly groups: DynamoDbGroupMembership;

  async loadSendContext(threadId: string, senderId: string, clientMsgId: string): Promise<SendContext> {
    const items = await batchGet(this.client, {
      // The pair item exists only in one-to-one threads' partitions; reading it costs no round trip.
      [this.tables.threads]: {
        Keys: [
          { threadId, sk: META },
          { threadId, sk: memberKey(senderId) },
          { threadId, sk: PAIR_SK },
        ],
        ConsistentRead: true,
      },
      [this.tables.sendRecords]: { Keys: [{ sendKey: sendKeyOf(senderId, clientMsgId) }], ConsistentRead: true },
    });
    const meta = items.find((item) => item.sk === META);
    // Before counters had a table of their own, `rate#<user>#<second>` items shared this one; the
    // last of them expire a minute after the change, and are no send record even then.
    const record = items.find((item) => 'sendKey' in item && 'messageId' in item);
    const sender = items.find((item) => item.sk === memberKey(senderId));
    const senderMembership = sender && membershipOf(sender);
    const pair = pairStateOf(items.find((item) => item.sk === PAIR_SK));
    return {
      // A send is where a group made before the count was kept gets it, once and for good.
      thread: meta && (await this.counted(headOf(meta), (threadId) => this.groups.keepCounts(threadId))),
      senderIsMember: sender !== undefined,
      ...(senderMembership?.consent === undefined ? {} : { senderConsent: senderMembership.consent }),
      ...(senderMembership?.requestedBy === undefined ? {} : { senderRequestedBy: senderMembership.requestedBy }),
      ...(pair === undefined ? {} : { pair }),
      previous: record && {
        threadId: String(record.threadId),
        seq: Number(record.seq),
        messageId: String(record.messageId),
        sentAt: Number(record.sentAt),
        ...(record.payloadDigest === undefined ? {} : { payloadDigest: String(record.payloadDigest) }),
      },
    };
  }

  async commitMessage({ message, payloadDigest, createDirectThread, recipientByRequest, recheckMembership }: CommitRequest): Promise<CommitOutcome> {
    const { threadId, seq, sentAt } = message;
    const lastMessage = { seq, senderId: message.senderId, text: message.text, sentAt };
    const headWrite = createDirectThread
      ? {
          Put: {
            TableName: this.tables.threads,
            Item: { threadId, sk: META, kind: 'dm', createdAt: sentAt, lastSeq: seq, lastActivity: sentAt, lastMessage },
            ConditionExpression: 'attribute_not_exists(threadId)',
          },
        }
      : {
          Update: {
            TableName: this.tables.threads,
            Key: { threadId, sk: META },
            UpdateExpression: 'SET lastSeq = :seq, lastActivity = :sentAt, lastMessage = :lastMessage',
            ConditionExpression: 'lastSeq = :previous',
            ExpressionAttributeValues: { ':seq': seq, ':previous': seq - 1, ':sentAt': sentAt, ':lastMessage': lastMessage },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        };
    const byRequest = (userId: string) =>
      recipientByRequest && userId !== message.senderId ? { consent: 'request' satisfies Consent, requestedBy: message.senderId } : {};
    const membership = createDirectThread
      ? createDirectThread.flatMap((userId) => [
          { Put: { TableName: this.tables.threads, Item: { threadId, sk: memberKey(userId), userId, role: 'member', joinedAt: sentAt, ...byRequest(userId) } } },
          {
            Put: {
              TableName: this.tables.userThreads,
              Item: { userId, threadId, kind: 'dm', joinedAt: sentAt, lastActivity: sentAt, lastSeq: seq, deliveredSeq: 0, readSeq: 0 },
            },
          },
        ])
      : recheckMembership
        ? [
            {
              ConditionCheck: {
                TableName: this.tables.threads,
                Key: { threadId, sk: memberKey(message.senderId) },
                ConditionExpression: 'attribute_exists(sk)',
              },
            },
          ]
        : [];
    const record: SendRecord & { sendKey: string; expiresAt: number } = {
      sendKey: sendKeyOf(message.senderId, message.clientMsgId),
      threadId,
      seq,
      messageId: message.messageId,
      sentAt,
      payloadDigest,
      expiresAt: Math.floor(sentAt / 1000) + SEND_RECORD_SECONDS,
    };
    const items = [
      headWrite,
      {
        Put: {
          TableName: this.tables.threads,
          // Staged until history has it (no TTL): the persistence function releases it.
          Item: { ...message, sk: messageKey(seq) },
        },
      },
      { Put: { TableName: this.tables.sendRecords, Item: record, ConditionExpression: 'attribute_not_exists(sendKey)' } },
      ...membership,
      // The first sender accepts messages from the one they wrote to.
      ...(createDirectThread
        ? [
            {
              Update: {
                TableName: this.tables.threads,
                Key: { threadId, sk: PAIR_SK },
                UpdateExpression: 'ADD acceptedBy :sender',
                ExpressionAttributeValues: { ':sender': new Set([message.senderId]) },
              },
            },
            // Both rows are written at this message: the relay need not move them (dynamodb-user-threads.ts).
            { Put: { TableName: this.tables.threads, Item: { threadId, sk: ROW_ACTIVITY_KEY, rowActivity: sentAt } } },
          ]
        : []),
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { outcome: 'committed' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
      if (failed(2)) return { outcome: 'duplicate' };
      if (recheckMembership && failed(3)) return { outcome: 'not_member' };
      if (failed(0)) {
        // The head moved meanwhile; the failed condition returns it, sparing a read.
        const current = reasons[0]?.Item?.lastSeq?.N;
        return { outcome: 'seq_taken', lastSeq: current === undefined ? undefined : Number(current) };
      }
      if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return { outcome: 'seq_taken' };
      throw error;
    }
  }

  /** Every item a query matches, across pages. */
  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client: this.client }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  async membersOf(threadId: string): Promise<string[]> {
    return (await this.membersWithRoles(threadId)).map((member) => member.userId);
  }

  async membership(threadId: string, userId: string): Promise<Membership | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tables.threads, Key: { threadId, sk: memberKey(userId) }, ConsistentRead: true }),
    );
    return Item && membershipOf(Item);
  }

  async head(threadId: string): Promise<ThreadHead | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tables.threads, Key: { threadId, sk: META }, ConsistentRead: true }),
    );
    // Every function that reads a head may Query, but not all may write (get-messages reads only): the count is not kept here.
    return Item && this.counted(headOf(Item), (id) => this.groups.countMembers(id));
  }

  /**
   * A group head as the domain relies on it (a send or a receipt is charged by its members): with
   * its `memberCount`, which groups made before the count was kept lack until their first send or
   * membership change. Such a head gets its members counted by `count`, rather than being taken for
   * an empty group.
   */
  private async counted(head: ThreadHead, count: (threadId: string) => Promise<number>): Promise<ThreadHead> {
    if (head.kind !== 'group' || head.memberCount !== undefined) return head;
    return { ...head, memberCount: await count(head.threadId) };
  }

  async stagedMessages(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
    const items = await this.queryAll({
      TableName: this.tables.threads,
      KeyConditionExpression: 'threadId = :threadId AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':threadId': threadId, ':from': messageKey(fromSeq), ':to': messageKey(toSeq) },
      ConsistentRead: true,
    });
    return items.map(stagedMessageOf);
  }

  async createGroup(head: ThreadHead, creator: string, members: readonly string[], now: number, joining: Joining = PLAIN_JOINING): Promise<void> {
    await this.groups.createGroup(head, creator, members, now, joining);
  }

  async addMembers(threadId: string, userIds: readonly string[], maxMembers: number, now: number, joining: Joining = PLAIN_JOINING): Promise<AddOutcome> {
    return this.groups.addMembers(threadId, userIds, maxMembers, now, joining);
  }

  async acceptRequest(threadId: string, userId: string, acceptedUserId?: string): Promise<boolean> {
    return this.consent.accept(threadId, userId, acceptedUserId);
  }

  async declineRequest(threadId: string, userId: string): Promise<boolean> {
    return this.consent.decline(threadId, userId);
  }

  async setHistoryForNewMembers(threadId: string, setting: HistoryForNewMembers): Promise<void> {
    await this.consent.setHistoryForNewMembers(threadId, setting);
  }

  async removeMember(threadId: string, removal: Removal): Promise<RemovalOutcome> {
    return this.groups.removeMember(threadId, removal);
  }

  async membersWithRoles(threadId: string): Promise<Member[]> {
    const items = await this.queryAll({
      TableName: this.tables.threads,
      KeyConditionExpression: 'threadId = :threadId AND begins_with(sk, :member)',
      ExpressionAttributeValues: { ':threadId': threadId, ':member': MEMBER_KEY_PREFIX },
      ExpressionAttributeNames: { '#role': 'role' },
      ProjectionExpression: 'userId, #role, consent, joinedSeq, requestedBy',
      ConsistentRead: true,
    });
    return items.map((item) => {
      const { role, consent, joinedSeq, requestedBy } = membershipOf(item);
      return {
        userId: String(item.userId),
        role,
        ...(consent === undefined ? {} : { consent }),
        ...(joinedSeq === 0 ? {} : { joinedSeq }),
        ...(requestedBy === undefined ? {} : { requestedBy }),
      };
    });
  }

  async heads(threadIds: readonly string[]): Promise<ThreadHead[]> {
    const keys = threadIds.map((threadId) => ({ threadId, sk: META }));
    return (await batchGetAll(this.client, this.tables.threads, keys, { ConsistentRead: false })).map(headOf);
  }

  async positionsByActivity(userId: string, limit: number, atMost?: number, after?: ThreadPosition): Promise<{ positions: ThreadPosition[]; next?: ThreadPosition }> {
    return this.rows.positionsByActivity(userId, limit, atMost, after);
  }

  async userThreads(userId: string, threadIds: readonly string[]): Promise<UserThread[]> {
    return this.rows.rowsOf(userId, threadIds);
  }

  async membersAndRowActivity(threadId: string): Promise<{ members: string[]; rowActivity?: number }> {
    return this.rows.membersAndRowActivity(threadId);
  }

  async advanceActivity(threadId: string, members: readonly string[], seq: number, at: number): Promise<void> {
    await this.rows.advanceActivity(threadId, members, seq, at);
  }

  async advanceReceipt(userId: string, threadId: string, seq: number, status: 'delivered' | 'read'): Promise<boolean> {
    return this.rows.advanceReceipt(userId, threadId, seq, status);
  }
}
