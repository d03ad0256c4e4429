import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { CommitOutcome, CommitRequest, SendContext, SendRecord, ThreadStore } from '../domain/chat/ports';
import type { ThreadHead } from '../domain/chat/threads';
import type { StoredMessage } from '../domain/messages';

export interface ChatTables {
  readonly threads: string;
  readonly userThreads: string;
  readonly sendRecords: string;
}

const META = 'meta';
const memberKey = (userId: string) => `member#${userId}`;
/** Zero-padded, so that staged messages sort by seq. */
const messageKey = (seq: number) => `msg#${String(seq).padStart(12, '0')}`;
const sendKeyOf = (senderId: string, clientMsgId: string) => `${senderId}#${clientMsgId}`;
/** Staged messages outlive any plausible queue backlog; history has them long before. */
const STAGED_SECONDS = 3 * 24 * 3600;
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
  ) {}

  async loadSendContext(threadId: string, senderId: string, clientMsgId: string): Promise<SendContext> {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
      [this.tables.threads]: { Keys: [{ threadId, sk: META }, { threadId, sk: memberKey(senderId) }], ConsistentRead: true },
      [this.tables.sendRecords]: { Keys: [{ sendKey: sendKeyOf(senderId, clientMsgId) }], ConsistentRead: true },
    };
    const items: Record<string, unknown>[] = [];
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const result = await this.client.send(new BatchGetCommand({ RequestItems: request }));
      for (const tableItems of Object.values(result.Responses ?? {})) items.push(...tableItems);
      request = result.UnprocessedKeys as typeof request;
    }
    const meta = items.find((item) => item.sk === META);
    const record = items.find((item) => 'sendKey' in item);
    return {
      thread: meta && { threadId, kind: meta.kind as ThreadHead['kind'], lastSeq: Number(meta.lastSeq) },
      senderIsMember: items.some((item) => item.sk === memberKey(senderId)),
      previous: record && {
        threadId: String(record.threadId),
        seq: Number(record.seq),
        messageId: String(record.messageId),
        sentAt: Number(record.sentAt),
      },
    };
  }

  async commitMessage({ message, createDirectThread }: CommitRequest): Promise<CommitOutcome> {
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
          },
        };
    const membership = createDirectThread
      ? createDirectThread.flatMap((userId) => [
          { Put: { TableName: this.tables.threads, Item: { threadId, sk: memberKey(userId), userId, role: 'member', joinedAt: sentAt } } },
          { Put: { TableName: this.tables.userThreads, Item: { userId, threadId, kind: 'dm', joinedAt: sentAt, deliveredSeq: 0, readSeq: 0 } } },
        ])
      : [
          {
            ConditionCheck: {
              TableName: this.tables.threads,
              Key: { threadId, sk: memberKey(message.senderId) },
              ConditionExpression: 'attribute_exists(sk)',
            },
          },
        ];
    const record: SendRecord & { sendKey: string; expiresAt: number } = {
      sendKey: sendKeyOf(message.senderId, message.clientMsgId),
      threadId,
      seq,
      messageId: message.messageId,
      sentAt,
      expiresAt: Math.floor(sentAt / 1000) + SEND_RECORD_SECONDS,
    };
    const items = [
      headWrite,
      {
        Put: {
          TableName: this.tables.threads,
          Item: { ...message, sk: messageKey(seq), expiresAt: Math.floor(sentAt / 1000) + STAGED_SECONDS },
        },
      },
      { Put: { TableName: this.tables.sendRecords, Item: record, ConditionExpression: 'attribute_not_exists(sendKey)' } },
      ...membership,
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'committed';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
      if (failed(2)) return 'duplicate';
      if (!createDirectThread && failed(3)) return 'not_member';
      // The head moved (or was created) meanwhile, or another transaction held it: read again.
      if (failed(0) || reasons.some((reason) => reason.Code === 'TransactionConflict')) return 'seq_taken';
      throw error;
    }
  }

  async membersOf(threadId: string): Promise<string[]> {
    const members: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tables.threads,
          KeyConditionExpression: 'threadId = :threadId AND begins_with(sk, :member)',
          ExpressionAttributeValues: { ':threadId': threadId, ':member': 'member#' },
          ProjectionExpression: 'userId',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      members.push(...(page.Items ?? []).map((item) => String(item.userId)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return members;
  }

  async isMember(threadId: string, userId: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tables.threads, Key: { threadId, sk: memberKey(userId) }, ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  async head(threadId: string): Promise<ThreadHead | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tables.threads, Key: { threadId, sk: META }, ConsistentRead: true }),
    );
    return Item && { threadId, kind: Item.kind as ThreadHead['kind'], lastSeq: Number(Item.lastSeq) };
  }

  async stagedMessages(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
    const messages: StoredMessage[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tables.threads,
          KeyConditionExpression: 'threadId = :threadId AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':threadId': threadId, ':from': messageKey(fromSeq), ':to': messageKey(toSeq) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        messages.push({
          threadId,
          seq: Number(item.seq),
          messageId: String(item.messageId),
          senderId: String(item.senderId),
          clientMsgId: String(item.clientMsgId),
          text: String(item.text),
          sentAt: Number(item.sentAt),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return messages;
  }
}
