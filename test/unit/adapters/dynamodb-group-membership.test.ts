import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbGroupMembership, MEMBERS_PER_TRANSACTION } from '../../../lambdas/adapters/dynamodb-group-membership';

const dynamodb = mockClient(DynamoDBDocumentClient);
const groups = new DynamoDbGroupMembership(DynamoDBDocumentClient.from(new DynamoDBClient({})), { threads: 'threads', userThreads: 'user-threads' });
const head = { threadId: 'g_1', kind: 'group' as const, name: 'Big', lastSeq: 0 };
const users = (count: number, prefix = 'u') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** A cancelled transaction whose item at `failedIndex` did not meet its condition. */
function cancelled(itemCount: number, failedIndex: number) {
  const CancellationReasons = Array.from({ length: itemCount }, (_, i) => ({ Code: i === failedIndex ? 'ConditionalCheckFailed' : 'None' }));
  return new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons });
}

const transactions = () => dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(TransactWriteCommand).resolves({});
  dynamodb.on(BatchWriteCommand).resolves({});
  dynamodb.on(PutCommand).resolves({});
  dynamodb.on(UpdateCommand).resolves({});
});

describe('creating a group', () => {
  it('writes a group too large for one transaction members first, its head last, with its counts', async () => {
    await groups.createGroup(head, 'alice', users(MEMBERS_PER_TRANSACTION), 5);

    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
    const written = dynamodb.commandCalls(BatchWriteCommand).flatMap((call) => Object.values(call.args[0].input.RequestItems!).flat());
    // Each member's two items, and where the rows stand (the relay leaves them until a message is a minute newer).
    expect(written).toHaveLength(2 * (MEMBERS_PER_TRANSACTION + 1) + 1);
    expect(written).toContainEqual({ PutRequest: { Item: { threadId: 'g_1', sk: 'member$rows', rowActivity: 5 } } });
    const order = dynamodb.calls().map((call) => call.args[0].constructor.name);
    expect(order[order.length - 1]).toBe('PutCommand');
    expect(dynamodb.commandCalls(PutCommand)[0].args[0].input).toMatchObject({
      Item: { threadId: 'g_1', sk: 'meta', memberCount: MEMBERS_PER_TRANSACTION + 1, adminCount: 1 },
      ConditionExpression: 'attribute_not_exists(threadId)',
    });
  });

  it('writes no head when writing the members fails, and deletes the members it wrote', async () => {
    dynamodb.on(BatchWriteCommand).resolvesOnce({}).rejects(new Error('throttled'));

    await expect(groups.createGroup(head, 'alice', users(60), 5)).rejects.toThrow('throttled');

    expect(dynamodb).not.toHaveReceivedCommand(PutCommand);
    const deletes = dynamodb
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => Object.values(call.args[0].input.RequestItems!).flat())
      .filter((request) => request.DeleteRequest !== undefined);
    expect(deletes.length).toBeGreaterThan(0);
  });
});

describe('adding members', () => {
  it('adds in transactions of at most 49 members, each moving the head count on condition that the cap holds', async () => {
    const outcome = await groups.addMembers('g_1', users(100), 1024, 5);

    expect(outcome).toEqual({ added: users(100), refused: [] });
    expect(transactions().map((items) => items.length)).toEqual([99, 99, 5]);
    expect(transactions().map((items) => items[0].Update!.ExpressionAttributeValues)).toEqual([
      { ':added': 49, ':room': 975 },
      { ':added': 49, ':room': 975 },
      { ':added': 2, ':room': 1022 },
    ]);
    for (const items of transactions()) expect(items[1].Put!.ConditionExpression).toBe('attribute_not_exists(sk)');
  });

  it('leaves a member who is in already as they are: the step is written again without them, counting only the new', async () => {
    dynamodb.on(TransactWriteCommand).rejectsOnce(cancelled(7, 3)).resolves({});

    expect(await groups.addMembers('g_1', ['carol', 'bob', 'dave'], 1024, 5)).toEqual({ added: ['carol', 'dave'], refused: [] });

    const retried = transactions()[1];
    expect(retried[0].Update!.ExpressionAttributeValues).toEqual({ ':added': 2, ':room': 1022 });
    expect(retried.slice(1).map((item) => item.Put!.Item!.userId)).toEqual(['carol', 'carol', 'dave', 'dave']);
  });

  it('stops at the step the cap refuses, and says who was left out', async () => {
    dynamodb.on(TransactWriteCommand).resolvesOnce({}).rejects(cancelled(3, 0));
    dynamodb.on(GetCommand).resolves({ Item: { threadId: 'g_1', sk: 'meta', memberCount: 1024 } });

    const outcome = await groups.addMembers('g_1', users(50), 1024, 5);

    expect(outcome).toEqual({ added: users(49), refused: ['u49'] });
    expect(transactions()).toHaveLength(2);
  });

  it('counts the members of a group written before the counts existed, once, and then adds', async () => {
    dynamodb.on(TransactWriteCommand).rejectsOnce(cancelled(3, 0)).resolves({});
    dynamodb.on(GetCommand).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group' } });
    dynamodb.on(QueryCommand).resolves({ Items: [{ role: 'admin' }, { role: 'member' }, { role: 'member' }] });

    expect(await groups.addMembers('g_1', ['dave'], 1024, 5)).toEqual({ added: ['dave'], refused: [] });

    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { threadId: 'g_1', sk: 'meta' },
      UpdateExpression: 'SET memberCount = :members, adminCount = :admins',
      ConditionExpression: 'attribute_not_exists(memberCount)',
      ExpressionAttributeValues: { ':members': 3, ':admins': 1 },
    });
    expect(transactions()).toHaveLength(2);
  });
});

describe('removing a member', () => {
  it('lets the last admin leave only on condition that another admin stays, or as the last member', async () => {
    expect(await groups.removeMember('g_1', { userId: 'alice', role: 'admin' })).toBe('removed');
    const [items] = transactions();
    expect(items[2].Update).toMatchObject({
      ConditionExpression: 'attribute_exists(memberCount) AND (adminCount > :one OR memberCount = :one)',
      ExpressionAttributeValues: { ':one': 1, ':adminDelta': -1 },
    });
  });

  it("answers changed, having written nothing, when the roles it was planned on do not hold", async () => {
    dynamodb.on(TransactWriteCommand).rejects(cancelled(4, 3));
    expect(await groups.removeMember('g_1', { userId: 'alice', role: 'admin', successor: 'bob' })).toBe('changed');
    expect(transactions()).toHaveLength(1);
  });

  it('counts the members of a group written before the counts existed, then removes', async () => {
    dynamodb.on(TransactWriteCommand).rejectsOnce(cancelled(3, 2)).resolves({});
    dynamodb.on(GetCommand).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group' } });
    dynamodb.on(QueryCommand).resolves({ Items: [{ role: 'admin' }, { role: 'member' }] });

    expect(await groups.removeMember('g_1', { userId: 'bob', role: 'member' })).toBe('removed');

    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: { ':members': 2, ':admins': 1 } });
    expect(transactions()).toHaveLength(2);
  });
});
