import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbSharedThreads } from '../../../lambdas/adapters/dynamodb-shared-threads';
import { directThreadId } from '../../../lambdas/domain/chat/threads';

const dynamodb = mockClient(DynamoDBDocumentClient);
const sharedThreads = new DynamoDbSharedThreads(DynamoDBDocumentClient.from(new DynamoDBClient({})), { threads: 'threads', userThreads: 'user-threads' });

/** Each user's thread rows, and each group's members. */
function tables(rows: Record<string, Array<{ threadId: string; kind: string }>>, members: Record<string, string[]>) {
  dynamodb.on(QueryCommand, { TableName: 'user-threads' }).callsFake(async (input) => ({ Items: rows[input.ExpressionAttributeValues[':userId']] ?? [] }));
  dynamodb.on(QueryCommand, { TableName: 'threads' }).callsFake(async (input) => ({ Items: (members[input.ExpressionAttributeValues[':threadId']] ?? []).map((userId) => ({ userId })) }));
}
const queriesOf = (table: string) => dynamodb.commandCalls(QueryCommand, { TableName: table }).map((call) => Object.values(call.args[0].input.ExpressionAttributeValues!)[0]);

beforeEach(() => dynamodb.reset());

describe('DynamoDbSharedThreads', () => {
  it('finds direct threads by their derived id in the user’s own rows, and reads the members of each group when the groups are fewer than the others', async () => {
    tables({ alice: [{ threadId: directThreadId('alice', 'bob'), kind: 'dm' }, { threadId: 'g_1', kind: 'group' }] }, { g_1: ['alice', 'carol'] });

    expect(await sharedThreads.sharingAThreadWith('alice', ['bob', 'carol', 'dave', 'erin'])).toEqual(new Set(['bob', 'carol']));
    expect(queriesOf('user-threads')).toEqual(['alice']);
    expect(queriesOf('threads')).toEqual(['g_1']);
    // Strongly consistent: someone who just left a group no longer shares it.
    expect(dynamodb.commandCalls(QueryCommand).every((call) => call.args[0].input.ConsistentRead === true)).toBe(true);
  });

  it('reads the thread rows of each other user instead when they are fewer than the groups', async () => {
    tables(
      {
        alice: ['g_1', 'g_2', 'g_3'].map((threadId) => ({ threadId, kind: 'group' })),
        carol: [{ threadId: 'g_2', kind: 'group' }],
        dave: [{ threadId: 'g_9', kind: 'group' }],
      },
      {},
    );

    expect(await sharedThreads.sharingAThreadWith('alice', ['carol', 'dave'])).toEqual(new Set(['carol']));
    expect(queriesOf('user-threads').sort()).toEqual(['alice', 'carol', 'dave']);
    expect(queriesOf('threads')).toEqual([]);
  });

  it('reads nothing more than the user’s rows when every other user is placed by a direct thread', async () => {
    tables({ alice: [{ threadId: directThreadId('alice', 'bob'), kind: 'dm' }, { threadId: 'g_1', kind: 'group' }] }, {});
    expect(await sharedThreads.sharingAThreadWith('alice', ['bob'])).toEqual(new Set(['bob']));
    expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(1);
  });
});
