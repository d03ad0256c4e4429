import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { chatHandlerHarness } from './chat-handler-harness';
import { mockConnectionLists } from '../../support/connection-lists';

const { dynamodb, gateway, invoke, postsTo } = chatHandlerHarness();

describe('chat handler: receipts, groups and listing', () => {
  it('records a read receipt (delivered too) and forwards it to the other members only', async () => {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9, memberCount: 3 } });
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({ Item: { userId: 'alice' } });
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
    mockConnectionLists(dynamodb, { bob: ['bob-conn='] });

    expect(await invoke({ action: 'ack', threadId: 'g_1', seq: 5, status: 'read' })).toBeUndefined();

    const receiptUpdates = dynamodb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.TableName === 'user-threads');
    // One write: read implies delivered as the row is read, so only readSeq moves, and only forward.
    expect(receiptUpdates.map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ UpdateExpression: 'SET readSeq = :seq', ConditionExpression: 'attribute_exists(threadId) AND (attribute_not_exists(readSeq) OR readSeq < :seq)' }),
    ]);
    expect(postsTo('bob-conn=')).toEqual([{ type: 'receipt', threadId: 'g_1', userId: 'alice', seq: 5, status: 'read' }]);
    const looked = dynamodb.commandCalls(BatchGetCommand).flatMap((call) => call.args[0].input.RequestItems!['connections-table']?.Keys ?? []);
    expect(looked.map((key) => key.userId)).toEqual(['bob']);
  });

  it('forwards nothing when the receipt was already there', async () => {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9, memberCount: 3 } });
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({ Item: { userId: 'alice' } });
    dynamodb.on(UpdateCommand, { TableName: 'user-threads' }).rejects(new ConditionalCheckFailedException({ message: 'already there', $metadata: {} }));

    expect(await invoke({ action: 'ack', threadId: 'g_1', seq: 5, status: 'delivered' })).toBeUndefined();

    // Delivered moves only while neither receipt has reached seq (a read one implies it).
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'user-threads',
      UpdateExpression: 'SET deliveredSeq = :seq',
      ConditionExpression: 'attribute_exists(threadId) AND (attribute_not_exists(readSeq) OR readSeq < :seq) AND (attribute_not_exists(deliveredSeq) OR deliveredSeq < :seq)',
    });
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
    expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
  });

  it('answers bad_request to a receipt beyond the last message, recording nothing', async () => {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9, memberCount: 3 } });
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({ Item: { userId: 'alice' } });

    expect(await invoke({ action: 'ack', reqId: 'r4', threadId: 'g_1', seq: 10, status: 'read' })).toMatchObject({ type: 'error', reqId: 'r4', code: 'bad_request', message: /\(9\)/ });

    expect(dynamodb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.TableName === 'user-threads')).toEqual([]);
  });

  /** Pairs as the batch read of pair items finds them: the members accept alice, so nobody lands by request. */
  const everyoneAcceptsAlice = () =>
    dynamodb.on(BatchGetCommand).callsFake(async (input: { RequestItems: Record<string, { Keys: Array<Record<string, unknown>> }> }) => ({
      Responses: { threads: input.RequestItems.threads.Keys.map((key) => ({ ...key, acceptedBy: new Set(['bob', 'carol']) })) },
    }));

  it('creates a small group in one transaction, head last with its counts, and announces it to the members', async () => {
    everyoneAcceptsAlice();
    dynamodb.on(TransactWriteCommand).resolves({});
    mockConnectionLists(dynamodb, { bob: ['bob-conn='] });

    const reply = await invoke({ action: 'createGroup', reqId: 'r3', name: ' Trip ', members: ['bob', 'alice'] });

    expect(reply).toEqual({
      type: 'thread',
      reqId: 'r3',
      threadId: expect.stringMatching(/^g_/),
      kind: 'group',
      name: 'Trip',
      members: ['alice', 'bob'],
      admins: ['alice'],
      historyForNewMembers: 'all',
    });
    const creations = dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(creations).toHaveLength(1);
    expect(creations[0].map((item) => item.Put!.Item)).toEqual([
      expect.objectContaining({ sk: 'member#alice', role: 'admin' }),
      expect.objectContaining({ userId: 'alice', kind: 'group', deliveredSeq: 0 }),
      expect.objectContaining({ sk: 'member#bob', role: 'member' }),
      expect.objectContaining({ userId: 'bob', kind: 'group', deliveredSeq: 0 }),
      // Where the rows stand: the relay leaves them until a message is a minute newer.
      { threadId: reply!.threadId, sk: 'member$rows', rowActivity: expect.any(Number) },
      expect.objectContaining({ sk: 'meta', kind: 'group', name: 'Trip', memberCount: 2, adminCount: 1 }),
    ]);
    expect(dynamodb).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(postsTo('bob-conn=')).toEqual([expect.objectContaining({ type: 'thread', name: 'Trip' })]);
  });

  it('answers bad_request, writing nothing, to a group name that is only spaces', async () => {
    expect(await invoke({ action: 'createGroup', name: '   ', members: ['bob'] })).toMatchObject({ code: 'bad_request', message: /name/ });
    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  function group(members: Array<[string, 'admin' | 'member']>) {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', name: 'Trip', lastSeq: 2 } });
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: members.map(([userId, role]) => ({ userId, role })) });
    // Everyone connected, the removed member too.
    mockConnectionLists(dynamodb, (userId) => [`${userId}-conn=`]);
  }

  it('adds members as an admin, writing only the new ones in one transaction within the cap, and tells the whole group', async () => {
    everyoneAcceptsAlice();
    group([['alice', 'admin'], ['bob', 'member']]);
    dynamodb.on(TransactWriteCommand).resolves({});

    const reply = await invoke({ action: 'addMembers', reqId: 'r7', threadId: 'g_1', userIds: ['bob', 'carol'] });

    expect(reply).toEqual({ type: 'thread', reqId: 'r7', threadId: 'g_1', kind: 'group', name: 'Trip', members: ['alice', 'bob', 'carol'], admins: ['alice'], historyForNewMembers: 'all' });
    const [items] = dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(items[0].Update).toMatchObject({ Key: { threadId: 'g_1', sk: 'meta' }, ConditionExpression: 'memberCount <= :room', ExpressionAttributeValues: { ':added': 1, ':room': 1023 } });
    expect(items.slice(1).map((item) => item.Put!.Item!.userId)).toEqual(['carol', 'carol']);
    const { reqId: _reqId, ...event } = reply!;
    expect(postsTo('bob-conn=')).toEqual([event]);
    expect(postsTo('carol-conn=')).toEqual([event]);
    expect(postsTo('alice-conn=')).toEqual([]);
  });

  it('answers forbidden to a member who is not an admin adding members, writing nothing', async () => {
    group([['alice', 'member'], ['bob', 'admin']]);
    expect(await invoke({ action: 'addMembers', threadId: 'g_1', userIds: ['carol'] })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
  });

  it('removes a member as an admin in one transaction, and tells the members and the removed one', async () => {
    group([['alice', 'admin'], ['bob', 'member'], ['carol', 'member']]);
    dynamodb.on(TransactWriteCommand).resolves({});

    const reply = await invoke({ action: 'removeMember', threadId: 'g_1', userId: 'carol' });

    expect(reply).toMatchObject({ type: 'thread', members: ['alice', 'bob'], admins: ['alice'] });
    expect(dynamodb).not.toHaveReceivedCommand(DeleteCommand);
    const transactions = dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(transactions).toHaveLength(1);
    expect(transactions[0]).toEqual([
      { Delete: expect.objectContaining({ TableName: 'threads', Key: { threadId: 'g_1', sk: 'member#carol' }, ConditionExpression: '#role = :role' }) },
      { Delete: { TableName: 'user-threads', Key: { userId: 'carol', threadId: 'g_1' } } },
      { Update: expect.objectContaining({ TableName: 'threads', Key: { threadId: 'g_1', sk: 'meta' }, ExpressionAttributeValues: { ':one': 1, ':adminDelta': 0 } }) },
    ]);
    expect(postsTo('carol-conn=')).toEqual([expect.objectContaining({ type: 'thread', members: ['alice', 'bob'] })]);
    expect(postsTo('bob-conn=')).toHaveLength(1);
  });

  it('makes the first remaining member admin in the same transaction when the last admin leaves', async () => {
    group([['alice', 'admin'], ['bob', 'member']]);
    dynamodb.on(TransactWriteCommand).resolves({});

    expect(await invoke({ action: 'removeMember', threadId: 'g_1', userId: 'alice' })).toMatchObject({ members: ['bob'], admins: ['bob'] });

    const [items] = dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(items).toHaveLength(4);
    expect(items[3].Update).toMatchObject({ TableName: 'threads', Key: { threadId: 'g_1', sk: 'member#bob' }, ExpressionAttributeValues: { ':admin': 'admin', ':member': 'member' } });
  });

  it('lists threads with the caller’s receipts and the thread heads', async () => {
    // The index holds keys only: the receipts come from the caller's row, read with a batch read.
    dynamodb.on(QueryCommand, { TableName: 'user-threads' }).resolves({ Items: [{ userId: 'alice', threadId: 'g_1', lastActivity: 5 }] });
    dynamodb.on(BatchGetCommand).callsFake(async (input: { RequestItems: Record<string, unknown> }) => ({
      Responses:
        'threads' in input.RequestItems
          ? { threads: [{ threadId: 'g_1', sk: 'meta', kind: 'group', name: 'Trip', lastSeq: 4, lastActivity: 5, lastMessage: { seq: 4, senderId: 'bob', text: 'yo', sentAt: 5 } }] }
          : { 'user-threads': [{ userId: 'alice', threadId: 'g_1', lastActivity: 5, lastSeq: 4, deliveredSeq: 4, readSeq: 3 }] },
    }));
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });

    expect(await invoke({ action: 'listThreads', reqId: 'r6' })).toEqual({
      type: 'threads',
      reqId: 'r6',
      threads: [
        { threadId: 'g_1', kind: 'group', name: 'Trip', members: ['alice', 'bob'], lastSeq: 4, deliveredSeq: 4, readSeq: 3, lastMessage: { seq: 4, senderId: 'bob', text: 'yo', sentAt: 5 } },
      ],
    });
  });
});
