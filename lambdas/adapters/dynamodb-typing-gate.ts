import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TYPING_INTERVAL_MS, type TypingGate } from '../domain/typing';

/**
 * The rate mark lives on the member's item in the threads table: one conditional write both
 * checks membership and admits at most one signal per interval, across all execution environments.
 */
export class DynamoDbTypingGate implements TypingGate {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly threadsTable: string,
  ) {}

  async admit(threadId: string, userId: string, now: number): Promise<'admitted' | 'throttled' | 'not_member'> {
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
