import { BatchGetCommand, type BatchGetCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { CONNECTION_LIST_KEY } from '../../lambdas/adapters/dynamodb-connection-registry';

/**
 * Answers the connection registry's reads of users' connection lists (BatchGetItem of their
 * `#list` items on `table`) from `connections`: each user's connection ids, by user or by a
 * function of the user; an empty list for a user left out (every user has a list: adoption of a
 * user without one has tests of its own).
 * Other BatchGetItem calls keep the answers the test gave them, given before this: the answer
 * given last among those that match a call is the one it gets.
 */
export function mockConnectionLists(
  dynamodb: AwsClientStub<DynamoDBDocumentClient>,
  connections: Readonly<Record<string, readonly string[]>> | ((userId: string) => readonly string[]),
  table = 'connections-table',
): void {
  const of = (userId: string) => (typeof connections === 'function' ? connections(userId) : connections[userId] ?? []);
  dynamodb.on(BatchGetCommand, { RequestItems: { [table]: {} } } as never).callsFake(async (input: BatchGetCommandInput) => ({
    Responses: {
      [table]: (input.RequestItems?.[table]?.Keys ?? [])
        .filter((key) => key.connectionId === CONNECTION_LIST_KEY)
        // A list emptied by its last connection's removal has no set at all.
        .map((key) => (of(key.userId as string).length > 0 ? { userId: key.userId, connectionIds: new Set(of(key.userId as string)) } : { userId: key.userId })),
    },
  }));
}
