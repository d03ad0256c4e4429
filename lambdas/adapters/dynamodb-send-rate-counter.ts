import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SendRateCounter } from '../domain/chat/ports';

/** Counters live a minute: long enough to count their second, short enough to cost no storage. */
const COUNTER_SECONDS = 60;

/**
 * One counter item per user and second in the send records table (`rate#<user>#<second>`),
 * incremented atomically, so the limit holds however many execution environments serve the user.
 */
export class DynamoDbSendRateCounter implements SendRateCounter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async countSend(userId: string, now: number): Promise<number> {
    const second = Math.floor(now / 1000);
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { sendKey: `rate#${userId}#${second}` },
        UpdateExpression: 'ADD sends :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeValues: { ':one': 1, ':expiresAt': second + COUNTER_SECONDS },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.sends ?? 1);
  }
}
