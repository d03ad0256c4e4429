import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from './dynamodb-conditions';
import { memberKey, META } from './dynamodb-thread-keys';
import { pairKey } from './dynamodb-user-pairs';
import type { HistoryForNewMembers } from '../domain/chat/threads';


/**
 * Message requests and group settings on the threads table (`lib/constructs/chat-store.ts`): a
 * membership item carries `consent` (`request` or `declined`) and `requestedBy` while its member
 * has not accepted the thread; accepting removes both and, in the same transaction, marks on the
 * pair item (dynamodb-user-pairs.ts) that the member accepts messages from who put them there.
 */
export class DynamoDbMemberConsent {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: { readonly threads: string },
  ) {}

  async accept(threadId: string, userId: string, acceptedUserId?: string): Promise<boolean> {
    const clearRequest = {
      TableName: this.tables.threads,
      Key: { threadId, sk: memberKey(userId) },
      UpdateExpression: 'REMOVE consent, requestedBy',
      ConditionExpression: 'attribute_exists(sk)',
    };
    if (acceptedUserId === undefined || acceptedUserId === userId) return conditionHeld(this.client.send(new UpdateCommand(clearRequest)));
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: clearRequest },
            {
              Update: {
                TableName: this.tables.threads,
                Key: pairKey(userId, acceptedUserId),
                UpdateExpression: 'ADD acceptedBy :user',
                ExpressionAttributeValues: { ':user': new Set([userId]) },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      // Not a member (any more): the membership's condition failed and nothing was written.
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async decline(threadId: string, userId: string): Promise<boolean> {
    return conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.threads,
          Key: { threadId, sk: memberKey(userId) },
          UpdateExpression: 'SET consent = :declined',
          ConditionExpression: 'attribute_exists(consent)',
          ExpressionAttributeValues: { ':declined': 'declined' },
        }),
      ),
    );
  }

  async setHistoryForNewMembers(threadId: string, setting: HistoryForNewMembers): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tables.threads,
        Key: { threadId, sk: META },
        UpdateExpression: 'SET historyForNewMembers = :setting',
        ConditionExpression: 'attribute_exists(threadId)',
        ExpressionAttributeValues: { ':setting': setting },
      }),
    );
  }
}
