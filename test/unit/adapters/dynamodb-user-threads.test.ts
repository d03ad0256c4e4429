import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbUserThreads } from '../../../lambdas/adapters/dynamodb-user-threads';

const dynamodb = mockClient(DynamoDBDocumentClient);
const rows = new DynamoDbUserThreads(DynamoDBDocumentClient.from(new DynamoDBClient({})), { threads: 'threads', userThreads: 'user-threads' });

beforeEach(() => dynamodb.reset());

describe('the user thread rows', () => {
  it('read a read receipt as delivered too: the delivered seq is the greater of the two', async () => {
    dynamodb.on(BatchGetCommand).resolves({ Responses: { 'user-threads': [{ userId: 'alice', threadId: 't1', lastActivity: 5, lastSeq: 9, deliveredSeq: 3, readSeq: 7 }] } });
    expect(await rows.rowsOf('alice', ['t1'])).toEqual([{ threadId: 't1', lastActivity: 5, lastSeq: 9, deliveredSeq: 7, readSeq: 7 }]);
    expect(dynamodb).toHaveReceivedCommandWith(BatchGetCommand, { RequestItems: { 'user-threads': { Keys: [{ userId: 'alice', threadId: 't1' }], ConsistentRead: false } } });
  });

  it('page the keys-only index newest first from at most a given activity, and say where the next page starts', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ userId: 'alice', threadId: 't2', lastActivity: 40 }], LastEvaluatedKey: { userId: 'alice', threadId: 't2', lastActivity: 40 } });
    expect(await rows.positionsByActivity('alice', 25, 50)).toEqual({ positions: [{ threadId: 't2', lastActivity: 40 }], next: { threadId: 't2', lastActivity: 40 } });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byRecentActivity',
      KeyConditionExpression: 'userId = :userId AND lastActivity <= :atMost',
      ExpressionAttributeValues: { ':userId': 'alice', ':atMost': 50 },
      ScanIndexForward: false,
      Limit: 25,
    });
  });

  it('read the members and where their rows stand in one Query, the mark apart from the members', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: 'member#alice', userId: 'alice' }, { sk: 'member#bob', userId: 'bob' }, { sk: 'member$rows', rowActivity: 1234 }] });
    expect(await rows.membersAndRowActivity('t1')).toEqual({ members: ['alice', 'bob'], rowActivity: 1234 });
    dynamodb.on(QueryCommand).resolves({ Items: [{ sk: 'member#alice', userId: 'alice' }] });
    expect(await rows.membersAndRowActivity('t1')).toEqual({ members: ['alice'] });
  });
});
