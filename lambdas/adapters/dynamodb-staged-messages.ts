import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_WRITE_SIZE, batchGetAll, batchWrite } from './dynamodb-batch';
import { conditionHeld } from './dynamodb-conditions';
import type { StagedKey, StagedMessages } from '../domain/chat/ports';
import type { StoredMessage } from '../domain/messages';

/** Zero-padded, so that staged messages sort by seq. */
export const messageKey = (seq: number) => `msg#${String(seq).padStart(12, '0')}`;

/** Most deletes one BatchWriteItem takes: one `release` chunk's worth, which fails or succeeds as one. */
export { BATCH_WRITE_SIZE };

/** A staged message as the threads table holds it (`msg#<seq>` items, written by the commit's transaction). */
export function stagedMessageOf(item: Record<string, unknown>): StoredMessage {
  return {
    threadId: String(item.threadId),
    seq: Number(item.seq),
    messageId: String(item.messageId),
    senderId: String(item.senderId),
    clientMsgId: String(item.clientMsgId),
    text: String(item.text),
    sentAt: Number(item.sentAt),
  };
}

const keyOf = ({ threadId, seq }: StagedKey) => ({ threadId, sk: messageKey(seq) });

/**
 * The staged messages of the threads table (lib/constructs/chat-store.ts) as an outbox: each is
 * marked `deliveredAt` once delivered, and deleted once history has it.
 */
export class DynamoDbStagedMessages implements StagedMessages {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly threadsTable: string,
  ) {}

  async staged(key: StagedKey): Promise<{ message: StoredMessage; delivered: boolean } | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.threadsTable, Key: keyOf(key), ConsistentRead: true }));
    return Item && { message: stagedMessageOf(Item), delivered: Item.deliveredAt !== undefined };
  }

  async undelivered(keys: readonly StagedKey[]): Promise<StoredMessage[]> {
    const items = await batchGetAll(this.client, this.threadsTable, keys.map(keyOf), { ConsistentRead: true });
    return items.filter((item) => item.deliveredAt === undefined).map(stagedMessageOf);
  }

  async markDelivered(key: StagedKey): Promise<void> {
    // The condition keeps a copy that history has and that was released from being made again.
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.threadsTable,
          Key: keyOf(key),
          UpdateExpression: 'SET deliveredAt = :now',
          ConditionExpression: 'attribute_exists(sk)',
          ExpressionAttributeValues: { ':now': Date.now() },
        }),
      ),
    );
  }

  async release(all: readonly StagedKey[]): Promise<StagedKey[]> {
    // SQS delivers at least once, so a batch may name a message twice; DynamoDB refuses a
    // BatchWriteItem that names a key twice, which would fail every key of the chunk.
    const keys = [...new Map(all.map((key) => [`${key.threadId}#${key.seq}`, key])).values()];
    const failed: StagedKey[] = [];
    for (let start = 0; start < keys.length; start += BATCH_WRITE_SIZE) {
      const chunk = keys.slice(start, start + BATCH_WRITE_SIZE);
      try {
        await batchWrite(
          this.client,
          chunk.map((key) => ({ table: this.threadsTable, deleteKey: keyOf(key) })),
        );
      } catch {
        failed.push(...chunk);
      }
    }
    return failed;
  }
}
