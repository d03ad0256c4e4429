import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { directThreadId } from '../../../lambdas/domain/chat/threads';
import { lambdaContext, messageEvent } from '../../support/lambda-events';

import { handler } from '../../../lambdas/handlers/chat';

const dynamodb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const gateway = mockClient(ApiGatewayManagementApiClient);
const sns = mockClient(SNSClient);

beforeEach(() => {
  dynamodb.reset();
  sqs.reset();
  gateway.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'p-1' });
  dynamodb.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
  gateway.on(PostToConnectionCommand).resolves({});
});

const invoke = async (frame: object) => {
  const result = await handler(messageEvent(JSON.stringify(frame), 'alice', 'alice-conn=') as never, lambdaContext);
  return result.body ? (JSON.parse(result.body) as Record<string, unknown>) : undefined;
};

const postsTo = (connectionId: string) =>
  gateway
    .commandCalls(PostToConnectionCommand)
    .filter((call) => call.args[0].input.ConnectionId === connectionId)
    .map((call) => JSON.parse(String(call.args[0].input.Data)) as Record<string, unknown>);

function groupThread(lastSeq: number) {
  dynamodb.on(BatchGetCommand).resolves({
    Responses: {
      threads: [
        { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq },
        { threadId: 'g_1', sk: 'member#alice', userId: 'alice', role: 'member' },
      ],
      'send-records': [],
    },
  });
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
}

describe('chat handler: sendMessage', () => {
  it('commits in one transaction, queues for history, acks the sender, then delivers to the members', async () => {
    groupThread(6);
    dynamodb.on(TransactWriteCommand).resolves({});
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
      Items: input.ExpressionAttributeValues[':userId'] === 'bob' ? [{ userId: 'bob', connectionId: 'bob-conn=' }] : [{ userId: 'alice', connectionId: 'alice-conn=' }],
    }));

    expect(await invoke({ action: 'sendMessage', reqId: 'r1', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' })).toBeUndefined();

    const transaction = dynamodb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(transaction[0].Update).toMatchObject({ Key: { threadId: 'g_1', sk: 'meta' }, ConditionExpression: 'lastSeq = :previous' });
    expect(transaction[0].Update!.ExpressionAttributeValues).toMatchObject({ ':seq': 7, ':previous': 6 });
    expect(transaction[2].Put).toMatchObject({ TableName: 'send-records', Item: { sendKey: 'alice#c1', seq: 7 } });
    expect(transaction[3].ConditionCheck).toMatchObject({ Key: { threadId: 'g_1', sk: 'member#alice' } });
    expect(JSON.parse(String(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody))).toMatchObject({ threadId: 'g_1', seq: 7, text: 'hi' });
    expect(postsTo('alice-conn=')).toEqual([expect.objectContaining({ type: 'ack', reqId: 'r1', status: 'sent', seq: 7 })]);
    expect(postsTo('bob-conn=')).toEqual([expect.objectContaining({ type: 'message', seq: 7, senderId: 'alice', text: 'hi' })]);
  });

  it('commits to an existing one-to-one thread without checking membership again, since its two members never change', async () => {
    const threadId = directThreadId('alice', 'bob');
    dynamodb.on(BatchGetCommand).resolves({
      Responses: {
        threads: [
          { threadId, sk: 'meta', kind: 'dm', lastSeq: 2 },
          { threadId, sk: 'member#alice', userId: 'alice', role: 'member' },
        ],
        'send-records': [],
      },
    });
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Items: [] });
    dynamodb.on(TransactWriteCommand).resolves({});

    await invoke({ action: 'sendMessage', clientMsgId: 'c2', to: 'bob', text: 'again' });

    const transaction = dynamodb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(transaction).toHaveLength(3);
    expect(transaction.some((item) => item.ConditionCheck !== undefined)).toBe(false);
  });

  it('takes the next seq, without another read, when another sender took this one', async () => {
    groupThread(6);
    dynamodb
      .on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed', Item: { lastSeq: { N: '9' } } }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }],
        }),
      )
      .resolves({});
    dynamodb.on(QueryCommand).resolves({ Items: [] });

    await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' });

    const attempts = dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems![0].Update!.ExpressionAttributeValues![':seq']);
    expect(attempts).toEqual([7, 10]);
    expect(dynamodb.commandCalls(BatchGetCommand)).toHaveLength(1);
  });

  it('forgets a recipient connection that is gone', async () => {
    groupThread(1);
    dynamodb.on(TransactWriteCommand).resolves({});
    dynamodb.on(DeleteCommand).resolves({});
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Items: [{ userId: 'bob', connectionId: 'bob-conn=' }] });
    gateway.on(PostToConnectionCommand, { ConnectionId: 'bob-conn=' }).rejects(new GoneException({ message: 'gone', $metadata: {} }));

    await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' });

    expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, { TableName: 'connections-table', Key: { userId: 'bob', connectionId: 'bob-conn=' } });
  });

  it('still delivers to the members when the ack cannot be posted', async () => {
    groupThread(1);
    dynamodb.on(TransactWriteCommand).resolves({});
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Items: [] });
    dynamodb.on(QueryCommand, { TableName: 'connections-table', ExpressionAttributeValues: { ':userId': 'bob' } }).resolves({
      Items: [{ userId: 'bob', connectionId: 'bob-conn=' }],
    });
    gateway.on(PostToConnectionCommand, { ConnectionId: 'alice-conn=' }).rejects(new Error('LimitExceededException'));

    expect(await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' })).toBeUndefined();

    expect(postsTo('bob-conn=')).toEqual([expect.objectContaining({ type: 'message', seq: 2 })]);
  });

  it('publishes one push request to the topic for the members other than the sender with no live connection', async () => {
    groupThread(3);
    dynamodb.on(TransactWriteCommand).resolves({});
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Items: [] });

    await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'are you there?' });

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const publish = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(publish.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:push');
    expect(JSON.parse(publish.Message!)).toEqual({ recipients: ['bob'], senderId: 'alice', threadId: 'g_1', seq: 4, preview: 'are you there?' });
  });

  it('acks a retried send with its first seq, and delivers and pushes nothing again', async () => {
    dynamodb.on(BatchGetCommand).resolves({
      Responses: {
        threads: [
          { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9 },
          { threadId: 'g_1', sk: 'member#alice', userId: 'alice', role: 'member' },
        ],
        'send-records': [{ sendKey: 'alice#c1', threadId: 'g_1', seq: 8, messageId: 'm-8', sentAt: 1_764_000_000_000 }],
      },
    });

    expect(await invoke({ action: 'sendMessage', reqId: 'r2', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' })).toBeUndefined();

    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(gateway.commandCalls(PostToConnectionCommand).map((call) => call.args[0].input.ConnectionId)).toEqual(['alice-conn=']);
    expect(postsTo('alice-conn=')).toEqual([{ type: 'ack', reqId: 'r2', status: 'sent', clientMsgId: 'c1', threadId: 'g_1', seq: 8, messageId: 'm-8', sentAt: 1_764_000_000_000 }]);
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
    expect(sns).not.toHaveReceivedAnyCommand();
    // History stores a message once however often it arrives, so the retry queues it again.
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
  });

  it('answers rate_limited to a user past 20 sends this second, writing nothing', async () => {
    groupThread(1);
    dynamodb.on(UpdateCommand, { TableName: 'send-records' }).resolves({ Attributes: { sends: 21 } });
    const reply = await invoke({ action: 'sendMessage', reqId: 'r5', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' });
    expect(reply).toMatchObject({ type: 'error', reqId: 'r5', code: 'rate_limited' });
    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(sqs).not.toHaveReceivedAnyCommand();
    const counter = dynamodb.commandCalls(UpdateCommand).find((call) => call.args[0].input.TableName === 'send-records')!.args[0].input;
    expect(counter.Key!.sendKey).toMatch(/^rate#alice#\d+$/);
  });

  it('answers internal, queues nothing and acks nothing, when the commit fails', async () => {
    groupThread(1);
    dynamodb.on(TransactWriteCommand).rejects(new Error('InternalServerError'));
    const reply = await invoke({ action: 'sendMessage', reqId: 'r9', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' });
    expect(reply).toEqual({ type: 'error', reqId: 'r9', code: 'internal', message: expect.any(String) });
    expect(sqs).not.toHaveReceivedAnyCommand();
    expect(postsTo('alice-conn=')).toEqual([]);
  });
});

describe('chat handler: receipts, groups and listing', () => {
  it('records a read receipt (delivered too) and forwards it to the other members only', async () => {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9 } });
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({ Item: { userId: 'alice' } });
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Items: [{ userId: 'bob', connectionId: 'bob-conn=' }] });

    expect(await invoke({ action: 'ack', threadId: 'g_1', seq: 5, status: 'read' })).toBeUndefined();

    const receiptUpdates = dynamodb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.TableName === 'user-threads');
    expect(receiptUpdates.map((call) => call.args[0].input.UpdateExpression)).toEqual(['SET deliveredSeq = :seq', 'SET readSeq = :seq']);
    expect(postsTo('bob-conn=')).toEqual([{ type: 'receipt', threadId: 'g_1', userId: 'alice', seq: 5, status: 'read' }]);
    const queried = dynamodb.commandCalls(QueryCommand).filter((call) => call.args[0].input.TableName === 'connections-table');
    expect(queried.map((call) => call.args[0].input.ExpressionAttributeValues![':userId'])).toEqual(['bob']);
  });

  it('forwards nothing when the receipt was already there', async () => {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9 } });
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({ Item: { userId: 'alice' } });
    dynamodb.on(UpdateCommand, { TableName: 'user-threads' }).rejects(new ConditionalCheckFailedException({ message: 'already there', $metadata: {} }));

    expect(await invoke({ action: 'ack', threadId: 'g_1', seq: 5, status: 'delivered' })).toBeUndefined();

    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { TableName: 'user-threads', UpdateExpression: 'SET deliveredSeq = :seq' });
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
    expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
  });

  it('answers bad_request to a receipt beyond the last message, recording nothing', async () => {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9 } });
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({ Item: { userId: 'alice' } });

    expect(await invoke({ action: 'ack', reqId: 'r4', threadId: 'g_1', seq: 10, status: 'read' })).toMatchObject({ type: 'error', reqId: 'r4', code: 'bad_request', message: /\(9\)/ });

    expect(dynamodb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.TableName === 'user-threads')).toEqual([]);
  });

  it('creates a group with the caller as admin and announces it to the members', async () => {
    dynamodb.on(TransactWriteCommand).resolves({});
    dynamodb.on(BatchWriteCommand).resolves({});
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
      Items: input.ExpressionAttributeValues[':userId'] === 'bob' ? [{ userId: 'bob', connectionId: 'bob-conn=' }] : [],
    }));

    const reply = await invoke({ action: 'createGroup', reqId: 'r3', name: ' Trip ', members: ['bob', 'alice'] });

    expect(reply).toEqual({ type: 'thread', reqId: 'r3', threadId: expect.stringMatching(/^g_/), kind: 'group', name: 'Trip', members: ['alice', 'bob'], admins: ['alice'] });
    const [creation] = dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(creation[1].Put!.Item).toMatchObject({ userId: 'alice', role: 'admin' });
    const { RequestItems } = dynamodb.commandCalls(BatchWriteCommand)[0].args[0].input;
    expect(RequestItems!.threads).toEqual([{ PutRequest: { Item: expect.objectContaining({ userId: 'bob', role: 'member' }) } }]);
    expect(postsTo('bob-conn=')).toEqual([expect.objectContaining({ type: 'thread', name: 'Trip' })]);
  });

  it('answers bad_request, writing nothing, to a group name that is only spaces', async () => {
    expect(await invoke({ action: 'createGroup', name: '   ', members: ['bob'] })).toMatchObject({ code: 'bad_request', message: /name/ });
    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  function group(members: Array<[string, 'admin' | 'member']>) {
    dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', name: 'Trip', lastSeq: 2 } });
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: members.map(([userId, role]) => ({ userId, role })) });
    dynamodb.on(QueryCommand, { TableName: 'connections-table' }).callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
      Items: [{ userId: input.ExpressionAttributeValues[':userId'], connectionId: `${String(input.ExpressionAttributeValues[':userId'])}-conn=` }],
    }));
  }

  it('adds members as an admin, writing only the new ones, and tells the whole group', async () => {
    group([['alice', 'admin'], ['bob', 'member']]);
    dynamodb.on(BatchWriteCommand).resolves({});

    const reply = await invoke({ action: 'addMembers', reqId: 'r7', threadId: 'g_1', userIds: ['bob', 'carol'] });

    expect(reply).toEqual({ type: 'thread', reqId: 'r7', threadId: 'g_1', kind: 'group', name: 'Trip', members: ['alice', 'bob', 'carol'], admins: ['alice'] });
    const written = dynamodb.commandCalls(BatchWriteCommand).flatMap((call) => call.args[0].input.RequestItems!.threads ?? []);
    expect(written.map((request) => request.PutRequest!.Item!.userId)).toEqual(['carol']);
    const { reqId: _reqId, ...event } = reply!;
    expect(postsTo('bob-conn=')).toEqual([event]);
    expect(postsTo('carol-conn=')).toEqual([event]);
    expect(postsTo('alice-conn=')).toEqual([]);
  });

  it('answers forbidden to a member who is not an admin adding members, writing nothing', async () => {
    group([['alice', 'member'], ['bob', 'admin']]);
    expect(await invoke({ action: 'addMembers', threadId: 'g_1', userIds: ['carol'] })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(dynamodb).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
  });

  it('removes a member as an admin, membership first, and tells the members and the removed one', async () => {
    group([['alice', 'admin'], ['bob', 'member'], ['carol', 'member']]);
    dynamodb.on(DeleteCommand).resolves({});

    const reply = await invoke({ action: 'removeMember', threadId: 'g_1', userId: 'carol' });

    expect(reply).toMatchObject({ type: 'thread', members: ['alice', 'bob'], admins: ['alice'] });
    expect(dynamodb.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'threads', Key: { threadId: 'g_1', sk: 'member#carol' } },
      { TableName: 'user-threads', Key: { userId: 'carol', threadId: 'g_1' } },
    ]);
    expect(postsTo('carol-conn=')).toEqual([expect.objectContaining({ type: 'thread', members: ['alice', 'bob'] })]);
    expect(postsTo('bob-conn=')).toHaveLength(1);
  });

  it('makes the first remaining member admin when the last admin leaves', async () => {
    group([['alice', 'admin'], ['bob', 'member']]);
    dynamodb.on(DeleteCommand).resolves({});

    expect(await invoke({ action: 'removeMember', threadId: 'g_1', userId: 'alice' })).toMatchObject({ members: ['bob'], admins: ['bob'] });

    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'threads',
      Key: { threadId: 'g_1', sk: 'member#bob' },
      ExpressionAttributeValues: { ':role': 'admin' },
    });
  });

  it('lists threads with the caller’s receipts and the thread heads', async () => {
    dynamodb.on(QueryCommand, { TableName: 'user-threads' }).resolves({ Items: [{ userId: 'alice', threadId: 'g_1', deliveredSeq: 4, readSeq: 3 }] });
    dynamodb.on(BatchGetCommand).resolves({
      Responses: { threads: [{ threadId: 'g_1', sk: 'meta', kind: 'group', name: 'Trip', lastSeq: 4, lastActivity: 5, lastMessage: { seq: 4, senderId: 'bob', text: 'yo', sentAt: 5 } }] },
    });
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
