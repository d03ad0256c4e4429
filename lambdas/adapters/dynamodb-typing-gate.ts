import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TYPING_INTERVAL_MS, type TypingGate, type TypingVerdict } from '../domain/typing';

/**
 * The rate mark lives on the member's item in the threads table: one conditional write both
 * checks membership and admits at most one signal per interval, across all execution environments.
 * A read of the same item first (`peek`) answers most signals over the rate without the list of
 * members, the charge or a write.
 */
export class DynamoDbTypingGate implements TypingGate {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly threadsTable: string,
  ) {}

  async peek(threadId: string, userId: string, now: number): Promise<TypingVerdict> {
    // An eventually consistent read may miss a mark just made or a membership just changed: `admit` decides.
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.threadsTable, Key: { threadId, sk: `member#${userId}` }, ProjectionExpression: 'typingAt' }),
    );
    if (Item === undefined) return 'not_member';
    return typeof Item.typingAt === 'number' && Item.typingAt > now - TYPING_INTERVAL_MS ? 'throttled' : 'admitted';
  }

  async admit(threadId: string, userId: string, now: number): Promise<TypingVerdict> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.threadsTable,
          Key: { threadId, sk: `member#${userId}` },
          UpdateExpression: 'SET typingAt = :now',
          ConditionExpression: 'attribute_exists(sk) AND (attribute_not_exists(typingAt) OR typingAt <= :cutoff)',
          ExpressionAttributeValues: { ':now': now, ':cutoff': now - TYPING_INTERVAL_MS },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'admitted';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item === undefined ? 'not_member' : 'throttled';
    }
  }
}
