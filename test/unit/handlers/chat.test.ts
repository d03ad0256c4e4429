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
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { directThreadId } from '../../../lambdas/domain/chat/threads';
import { lambdaContext, messageEvent } from '../../support/lambda-events';

import { handler } from '../../../lambdas/handlers/chat';

const dynamodb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const gateway = mockClient(ApiGatewayManagementApiClient);

beforeEach(() => {
  dynamodb.reset();
  sqs.reset();
  gateway.reset();
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
