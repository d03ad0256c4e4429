import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbThreadStore } from '../../../lambdas/adapters/dynamodb-thread-store';

const dynamodb = mockClient(DynamoDBDocumentClient);
const tables = { threads: 'threads', userThreads: 'user-threads', sendRecords: 'send-records', blocks: 'blocks' };
const store = new DynamoDbThreadStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), tables);

/** The head of a group made before `memberCount` was kept on it. */
const legacyHead = { threadId: 'g_old', sk: 'meta', kind: 'group', name: 'Old friends', lastSeq: 7 };
const members = [{ role: 'admin' }, { role: 'member' }, { role: 'member' }, { role: 'member' }];

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(UpdateCommand).resolves({});
});

describe('a group head made before memberCount was kept', () => {
  it('is loaded for a send with its members counted, and the count is kept on the head, so that the send is charged by its real members', async () => {
    dynamodb.on(BatchGetCommand).resolves({ Responses: { threads: [legacyHead, { threadId: 'g_old', sk: 'member#alice', userId: 'alice', role: 'admin' }] } });
    dynamodb.on(QueryCommand).resolves({ Items: members });

    const context = await store.loadSendContext('g_old', 'alice', 'c1');

    expect(context.thread).toMatchObject({ kind: 'group', lastSeq: 7, memberCount: 4 });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'threads', ConsistentRead: true, ExpressionAttributeValues: { ':threadId': 'g_old', ':member': 'member#' } });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { threadId: 'g_old', sk: 'meta' },
      ConditionExpression: 'attribute_not_exists(memberCount)',
      ExpressionAttributeValues: { ':members': 4, ':admins': 1 },
    });
  });

  it('is read (a receipt is charged by it) with its members counted by one strongly consistent count, writing nothing', async () => {
    dynamodb.on(GetCommand).resolves({ Item: legacyHead });
    dynamodb.on(QueryCommand).resolves({ Count: 4 });

    expect(await store.head('g_old')).toMatchObject({ kind: 'group', memberCount: 4 });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { Select: 'COUNT', ConsistentRead: true, ExpressionAttributeValues: { ':threadId': 'g_old', ':member': 'member#' } });
    expect(dynamodb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('costs nothing more once the head has its count, nor for a one-to-one thread', async () => {
    dynamodb.on(GetCommand).resolvesOnce({ Item: { ...legacyHead, memberCount: 4 } }).resolvesOnce({ Item: { threadId: 'dm_1', sk: 'meta', kind: 'dm', lastSeq: 2 } });
    expect(await store.head('g_old')).toMatchObject({ memberCount: 4 });
    expect(await store.head('dm_1')).toEqual({ threadId: 'dm_1', kind: 'dm', lastSeq: 2 });
    dynamodb.on(BatchGetCommand).resolves({ Responses: { threads: [{ ...legacyHead, memberCount: 4 }] } });
    expect((await store.loadSendContext('g_old', 'alice', 'c1')).thread).toMatchObject({ memberCount: 4 });
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
  });
});
