import { ApiGatewayManagementApiClient, GetConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { directThreadId } from '../../../lambdas/domain/chat/threads';
import { handler as unknownAction } from '../../../lambdas/handlers/default';
import { handler as presence } from '../../../lambdas/handlers/presence';
import { admitEveryCharge, callsBesideBudgets } from '../../support/budget-mocks';
import { lambdaContext, messageEvent } from '../../support/lambda-events';
import { CONNECTION_LIST_KEY } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { mockConnectionLists } from '../../support/connection-lists';

const dynamodb = mockClient(DynamoDBDocumentClient);
const gateway = mockClient(ApiGatewayManagementApiClient);

beforeEach(() => {
  dynamodb.reset();
  gateway.reset();
  admitEveryCharge(dynamodb);
});

/** The UpdateItems a handler made to keep connections live. */
const refreshes = () => dynamodb.commandCalls(UpdateCommand, { TableName: 'connections-table' });

async function reply(handler: typeof presence, body: string, userId?: string, connectionId?: string) {
  const result = await handler(messageEvent(body, userId, connectionId) as never, lambdaContext);
  expect(result.statusCode).toBe(200);
  return JSON.parse(result.body) as Record<string, unknown>;
}

describe('ping', () => {
  it('answers pong with the reqId and keeps the connection live for another idle period', async () => {
    dynamodb.on(UpdateCommand).resolves({});
    const before = Date.now();

    expect(await reply(presence, '{"action":"ping","reqId":"r11"}')).toEqual({ type: 'pong', reqId: 'r11' });

    const update = refreshes()[0].args[0].input;
    expect(update.Key).toEqual({ userId: 'alice', connectionId: 'conn-1=' });
    const values = update.ExpressionAttributeValues!;
    expect(values[':lastActiveAt']).toBeGreaterThanOrEqual(before);
    expect(values[':expiresAt']).toBe(Math.floor(values[':lastActiveAt'] / 1000) + 600);
    // Written only over a record not refreshed within the last quarter idle period (by another environment).
    expect(update.ConditionExpression).toBe('attribute_exists(connectionId) AND expiresAt < :freshExpiry');
    expect(values[':freshExpiry']).toBe(values[':expiresAt'] - 150);
  });

  it('does not bring back a connection whose record $disconnect removed while the frame was on its way', async () => {
    dynamodb.on(UpdateCommand, { TableName: 'connections-table' }).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    gateway.on(GetConnectionCommand).rejects(new GoneException({ message: 'gone', $metadata: {} }));

    expect(await reply(presence, '{"action":"ping","reqId":"r5"}', 'alice', 'conn-closing=')).toEqual({ type: 'pong', reqId: 'r5' });

    expect(gateway).toHaveReceivedCommandWith(GetConnectionCommand, { ConnectionId: 'conn-closing=' });
    expect(dynamodb).not.toHaveReceivedCommand(PutCommand);
  });

  it('registers again a connection swept as stale that the gateway still holds open, on its list as well', async () => {
    dynamodb.on(UpdateCommand, { TableName: 'connections-table', Key: { userId: 'alice', connectionId: 'conn-quiet=' } }).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    dynamodb.on(PutCommand).resolves({});
    gateway.on(GetConnectionCommand).resolves({});

    await reply(presence, '{"action":"ping"}', 'alice', 'conn-quiet=');

    expect(dynamodb).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ userId: 'alice', connectionId: 'conn-quiet=' }) });
    // Deliveries find it again: they read the list, which the sweep may have left it off.
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { Key: { userId: 'alice', connectionId: CONNECTION_LIST_KEY }, UpdateExpression: 'ADD connectionIds :connectionId', ExpressionAttributeValues: { ':connectionId': new Set(['conn-quiet=']) } });
  });

  it('answers pong without reqId when the client sent none', async () => {
    dynamodb.on(UpdateCommand).resolves({});
    expect(await reply(presence, '{"action":"ping"}', 'alice', 'conn-2=')).toEqual({ type: 'pong' });
  });

  it('refreshes a connection at most once per quarter idle period', async () => {
    dynamodb.on(UpdateCommand).resolves({});
    await reply(presence, '{"action":"ping"}', 'alice', 'conn-3=');
    await reply(presence, '{"action":"ping"}', 'alice', 'conn-3=');
    expect(refreshes()).toHaveLength(1);
  });

  it.each([
    ['a reqId that is not a string', '{"action":"ping","reqId":7}', /reqId/],
    ['a reqId over 64 characters', `{"action":"ping","reqId":"${'x'.repeat(65)}"}`, /reqId/],
    ['a frame that is not JSON', 'ping', /not valid JSON/],
    ['a JSON value that is not an object', '"ping"', /expected object/],
  ])('answers bad_request to %s and writes nothing but its budget charge', async (_case, body, message) => {
    const frame = await reply(presence, body);
    expect(frame).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(frame.message).toMatch(message);
    expect(callsBesideBudgets(dynamodb)).toEqual([]);
  });

  it('answers internal, without details, when DynamoDB fails', async () => {
    dynamodb.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException at dynamodb.internal'));
    const frame = await reply(presence, '{"action":"ping","reqId":"r1"}', 'alice', 'conn-failing=');
    expect(frame).toEqual({ type: 'error', reqId: 'r1', code: 'internal', message: expect.any(String) });
    expect(JSON.stringify(frame)).not.toMatch(/dynamodb|Exception|at /i);
  });
});

describe('subscribePresence', () => {
  /** alice shares a direct thread with each of them; nobody changed a setting, and alice watches nobody yet. */
  function friendsOfAlice(userIds: string[]) {
    dynamodb.on(QueryCommand, { TableName: 'user-threads' }).resolves({ Items: userIds.map((userId) => ({ threadId: directThreadId('alice', userId), kind: 'dm' })) });
    dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions' }).resolves({ Items: [] });
    dynamodb.on(TransactWriteCommand).resolves({});
  }
  const presenceReads = () => dynamodb.commandCalls(BatchGetCommand).filter((call) => call.args[0].input.RequestItems!.presence);

  it("subscribes the connection to each user until its longest life, then answers their current state", async () => {
    friendsOfAlice(['bob', 'carol', 'dave']);
    dynamodb.on(UpdateCommand).resolves({});
    dynamodb.on(BatchWriteCommand).resolves({});
    dynamodb.on(BatchGetCommand).resolves({
      Responses: { presence: [{ userId: 'bob', status: 'online' }, { userId: 'carol', status: 'offline', lastSeen: 1764000000000 }] },
    });
    const before = Math.floor(Date.now() / 1000);

    const frame = await reply(presence, '{"action":"subscribePresence","reqId":"r9","userIds":["bob","carol","dave"]}', 'alice', 'conn-sub=');

    expect(frame).toEqual({
      type: 'presence',
      reqId: 'r9',
      users: [
        { userId: 'bob', status: 'online' },
        { userId: 'carol', status: 'offline', lastSeen: 1764000000000 },
        { userId: 'dave', status: 'offline' },
      ],
    });
    const puts = dynamodb.commandCalls(BatchWriteCommand)[0].args[0].input.RequestItems!['presence-subscriptions'];
    expect(puts.map((put) => put.PutRequest!.Item)).toEqual(
      ['bob', 'carol', 'dave'].map((watchedUserId) => ({ watchedUserId, connectionId: 'conn-sub=', subscriberUserId: 'alice', expiresAt: expect.any(Number) })),
    );
    expect(puts[0].PutRequest!.Item!.expiresAt).toBeGreaterThanOrEqual(before + 7200);
    expect(presenceReads()[0].args[0].input.RequestItems!.presence.Keys).toEqual([{ userId: 'bob' }, { userId: 'carol' }, { userId: 'dave' }]);
  });

  it('reads 500 users in batches of 100 and writes them in batches of 25', async () => {
    dynamodb.on(UpdateCommand).resolves({});
    dynamodb.on(BatchWriteCommand).resolves({});
    dynamodb.on(BatchGetCommand).resolves({ Responses: { presence: [] } });
    const userIds = Array.from({ length: 500 }, (_, index) => `user-${index}`);
    friendsOfAlice(userIds);

    const frame = await reply(presence, JSON.stringify({ action: 'subscribePresence', userIds }), 'alice', 'conn-many=');

    expect((frame.users as unknown[]).length).toBe(500);
    expect(dynamodb.commandCalls(BatchWriteCommand)).toHaveLength(20);
    expect(presenceReads()).toHaveLength(5);
    // Who may see whom, with everyone on the default audience: the settings of 501 users (alice too) and 500 pairs (blocks), 100 a batch; no thread is read.
    expect(dynamodb.commandCalls(QueryCommand, { TableName: 'user-threads' })).toHaveLength(0);
    expect(dynamodb.commandCalls(BatchGetCommand).length - presenceReads().length).toBe(11);
  });

  it.each([
    ['more than 500 user ids', JSON.stringify({ action: 'subscribePresence', userIds: Array.from({ length: 501 }, (_, index) => `u${index}`) }), /userIds must name 1-500 users/],
    ['no user ids', '{"action":"subscribePresence","userIds":[]}', /userIds must name 1-500 users/],
    ['an invalid user id', '{"action":"subscribePresence","userIds":["bob","no spaces"]}', /userIds\.1 must be 1-64 characters/],
    ['userIds missing', '{"action":"subscribePresence"}', /userIds/],
  ])('answers bad_request to %s and writes nothing', async (_case, body, message) => {
    dynamodb.on(UpdateCommand).resolves({});
    const frame = await reply(presence, body, 'alice', 'conn-bad-sub=');
    expect(frame).toMatchObject({ type: 'error', code: 'bad_request', message });
    expect(dynamodb).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(dynamodb).not.toHaveReceivedCommand(BatchGetCommand);
  });
});

describe('typing', () => {
  const typingGate = { TableName: 'threads', Key: { threadId: 'g_1', sk: 'member#alice' } };

  beforeEach(() => {
    // The connection refresh and the typing gate are both UpdateItems; the gate admits unless a test says otherwise.
    dynamodb.on(UpdateCommand).resolves({});
    gateway.on(PostToConnectionCommand).resolves({});
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
    // No block between anyone: the pair items read for the other members are absent.
    dynamodb.on(BatchGetCommand).resolves({ Responses: {} });
    mockConnectionLists(dynamodb, { bob: ['bob-1='], alice: ['alice-2='] });
    // Alice is a member without a recent mark, as the gate's first read finds her.
    dynamodb.on(GetCommand, typingGate).resolves({ Item: {} });
  });

  it("passes the signal through the member's rate mark and on to the other members' connections, answering nothing", async () => {
    const result = await presence(messageEvent('{"action":"typing","threadId":"g_1","state":"start"}', 'alice', 'alice-1=') as never, lambdaContext);

    expect(result).toEqual({ statusCode: 200, body: '' });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { ...typingGate, UpdateExpression: 'SET typingAt = :now' });
    const posts = gateway.commandCalls(PostToConnectionCommand).map((call) => call.args[0].input);
    expect(posts.map((post) => [post.ConnectionId, JSON.parse(String(post.Data))])).toEqual([
      ['bob-1=', { type: 'typing', threadId: 'g_1', userId: 'alice', state: 'start' }],
    ]);
  });

  it('drops a signal within a second of the last one silently, writing no mark', async () => {
    dynamodb.on(GetCommand, typingGate).resolves({ Item: { typingAt: Date.now() - 500 } });

    const result = await presence(messageEvent('{"action":"typing","threadId":"g_1","state":"stop"}', 'alice', 'alice-1=') as never, lambdaContext);

    expect(result).toEqual({ statusCode: 200, body: '' });
    expect(dynamodb).not.toHaveReceivedCommandWith(UpdateCommand, typingGate);
    expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
  });

  it('drops silently a signal that loses the mark to one racing it', async () => {
    dynamodb
      .on(UpdateCommand, typingGate)
      .rejects(new ConditionalCheckFailedException({ message: 'too soon', $metadata: {}, Item: { typingAt: { N: '1' } } }));

    const result = await presence(messageEvent('{"action":"typing","threadId":"g_1","state":"stop"}', 'alice', 'alice-1=') as never, lambdaContext);

    expect(result).toEqual({ statusCode: 200, body: '' });
    expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
  });

  it('answers forbidden to a typist outside the thread, telling no one', async () => {
    dynamodb.on(GetCommand, typingGate).resolves({});

    expect(await reply(presence, '{"action":"typing","reqId":"r8","threadId":"g_1","state":"start"}', 'alice', 'alice-1=')).toMatchObject({
      type: 'error',
      reqId: 'r8',
      code: 'forbidden',
    });
    expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
  });

  it('answers bad_request to a state other than start or stop', async () => {
    expect(await reply(presence, '{"action":"typing","threadId":"g_1","state":"maybe"}', 'alice', 'alice-1=')).toMatchObject({ code: 'bad_request', message: /state/ });
    expect(dynamodb).not.toHaveReceivedCommandWith(UpdateCommand, typingGate);
  });
});

describe('$default', () => {
  it('answers bad_request naming the unknown action, with the reqId', async () => {
    expect(await reply(unknownAction, '{"action":"fly","reqId":"r2"}')).toEqual({
      type: 'error',
      reqId: 'r2',
      code: 'bad_request',
      message: 'unknown action "fly"',
    });
  });

  it('answers bad_request to a frame without an action', async () => {
    expect(await reply(unknownAction, '{"reqId":"r3"}')).toMatchObject({ code: 'bad_request', reqId: 'r3', message: /action/ });
  });

  it('answers bad_request to a frame that is not JSON', async () => {
    expect(await reply(unknownAction, '{oops')).toMatchObject({ code: 'bad_request', message: 'frame is not valid JSON' });
  });

  it('does not take inherited object keys for actions', async () => {
    expect(await reply(unknownAction, '{"action":"constructor"}')).toMatchObject({ code: 'bad_request', message: 'unknown action "constructor"' });
  });
});
