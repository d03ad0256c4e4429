import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SendRateCounter } from '../domain/chat/ports';

/** Counters live a minute: long enough to count their second, short enough to cost no storage. */
const COUNTER_SECONDS = 60;

/**
 * One counter item per user and second, incremented atomically, so the limit holds however many
 * execution environments serve the user. The counters have a table of their own (`sendRates` of
 * lib/constructs/chat-store.ts), keyed by user and second as two attributes: no user id or
 * clientMsgId can name another item than its own, and nothing else can name a counter.
 */
export class DynamoDbSendRateCounter implements SendRateCounter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async countSend(userId: string, now: number): Promise<number> {
    return this.add(userId, now, 1);
  }

  async uncountSend(userId: string, now: number): Promise<void> {
    await this.add(userId, now, -1);
  }

  private async add(userId: string, now: number, sends: 1 | -1): Promise<number> {
    const second = Math.floor(now / 1000);
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { userId, second: String(second) },
        UpdateExpression: 'ADD sends :sends SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeValues: { ':sends': sends, ':expiresAt': second + COUNTER_SECONDS },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.sends ?? sends);
  }
}
