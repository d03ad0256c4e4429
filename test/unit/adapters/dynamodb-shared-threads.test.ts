import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbSharedThreads } from '../../../lambdas/adapters/dynamodb-shared-threads';
import { directThreadId } from '../../../lambdas/domain/chat/threads';

const dynamodb = mockClient(DynamoDBDocumentClient);
const sharedThreads = new DynamoDbSharedThreads(DynamoDBDocumentClient.from(new DynamoDBClient({})), { threads: 'threads', userThreads: 'user-threads' });

/**
 * Each user's thread rows, and each thread's members (`<user>?` holds it by request); every user
 * in a thread row is a member of it, by request when `requests` names `<thread> <user>`.
 */
function tables(rows: Record<string, Array<{ threadId: string; kind: string }>>, members: Record<string, string[]>, requests: string[] = []) {
  const parse = (member: string) => (member.endsWith('?') ? { userId: member.slice(0, -1), consent: 'request' } : { userId: member });
  dynamodb.on(QueryCommand, { TableName: 'user-threads' }).callsFake(async (input) => ({ Items: rows[input.ExpressionAttributeValues[':userId']] ?? [] }));
  dynamodb.on(QueryCommand, { TableName: 'threads' }).callsFake(async (input) => ({ Items: (members[input.ExpressionAttributeValues[':threadId']] ?? []).map(parse) }));
  dynamodb.on(BatchGetCommand).callsFake(async (input) => {
    const keys = input.RequestItems.threads.Keys as Array<{ threadId: string; sk: string }>;
    const items = keys.flatMap(({ threadId, sk }) => {
      const userId = sk.slice('member#'.length);
      if (!(rows[userId] ?? []).some((row) => row.threadId === threadId)) return [];
      return [{ threadId, userId, ...(requests.includes(`${threadId} ${userId}`) ? { consent: 'request' } : {}) }];
    });
    return { Responses: { threads: items } };
  });
}
const queriesOf = (table: string) => dynamodb.commandCalls(QueryCommand, { TableName: table }).map((call) => Object.values(call.args[0].input.ExpressionAttributeValues!)[0]);

beforeEach(() => dynamodb.reset());

describe('DynamoDbSharedThreads', () => {
  it('finds direct threads by their derived id in the user’s own rows, and reads the members of each group when the groups are fewer than the others', async () => {
    const dm = directThreadId('alice', 'bob');
    tables({ alice: [{ threadId: dm, kind: 'dm' }, { threadId: 'g_1', kind: 'group' }], bob: [{ threadId: dm, kind: 'dm' }] }, { g_1: ['alice', 'carol'] });

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
        erin: [{ threadId: 'g_3', kind: 'group' }],
        dave: [{ threadId: 'g_9', kind: 'group' }],
      },
      {},
    );

    expect(await sharedThreads.sharingAThreadWith('alice', ['carol', 'dave'])).toEqual(new Set(['carol']));
    expect(queriesOf('user-threads').sort()).toEqual(['alice', 'carol', 'dave']);
    expect(queriesOf('threads')).toEqual([]);
  });

  it('reads no group when every other user is placed by a direct thread', async () => {
    const dm = directThreadId('alice', 'bob');
    tables({ alice: [{ threadId: dm, kind: 'dm' }, { threadId: 'g_1', kind: 'group' }], bob: [{ threadId: dm, kind: 'dm' }] }, {});
    expect(await sharedThreads.sharingAThreadWith('alice', ['bob'])).toEqual(new Set(['bob']));
    expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it('does not count a thread either user holds by message request, on every path', async () => {
    const dm = (other: string) => directThreadId('alice', other);
    const rows = {
      alice: [{ threadId: dm('bob'), kind: 'dm' }, { threadId: dm('carol'), kind: 'dm' }, { threadId: 'g_1', kind: 'group' }, { threadId: 'g_2', kind: 'group' }],
      bob: [{ threadId: dm('bob'), kind: 'dm' }],
      carol: [{ threadId: dm('carol'), kind: 'dm' }],
      dave: [{ threadId: 'g_1', kind: 'group' }],
      erin: [{ threadId: 'g_2', kind: 'group' }],
    };
    // bob has not accepted alice's first message; alice has not accepted carol's; dave is in g_1 by request; alice is in g_2 by request.
    const requests = [`${dm('bob')} bob`, `${dm('carol')} alice`, 'g_1 dave', 'g_2 alice'];
    tables(rows, { g_1: ['alice', 'dave?'], g_2: ['alice?', 'erin'] }, requests);
    // Groups fewer than the others: their members are read.
    expect(await sharedThreads.sharingAThreadWith('alice', ['bob', 'carol', 'dave', 'erin'])).toEqual(new Set());
    // Others fewer than the groups: their rows are read, then the memberships.
    expect(await sharedThreads.sharingAThreadWith('alice', ['dave'])).toEqual(new Set());
    expect(await sharedThreads.sharingAThreadWith('alice', ['erin'])).toEqual(new Set());
  });
});
