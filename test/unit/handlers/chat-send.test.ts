import { GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { payloadDigest } from '../../../lambdas/domain/chat/commit-message';
import { directThreadId } from '../../../lambdas/domain/chat/threads';
import { BUDGETS_TABLE, callsBesideBudgets } from '../../support/budget-mocks';
import { chatHandlerHarness } from './chat-handler-harness';
import { mockConnectionLists } from '../../support/connection-lists';
import { CONNECTION_LIST_KEY } from '../../../lambdas/adapters/dynamodb-connection-registry';

const { dynamodb, sqs, gateway, sns, invoke, postsTo } = chatHandlerHarness();

function groupThread(lastSeq: number) {
  dynamodb.on(BatchGetCommand).resolves({
    Responses: {
      threads: [
        { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq, memberCount: 2 },
        { threadId: 'g_1', sk: 'member#alice', userId: 'alice', role: 'member' },
      ],
      'send-records': [],
    },
  });
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
}


/** Message 8 of g_1 as its commit staged it. */
const stagedCopy = {
  threadId: 'g_1',
  sk: 'msg#000000000008',
  seq: 8,
  messageId: 'm-8',
  senderId: 'alice',
  clientMsgId: 'c1',
  text: 'as committed',
  sentAt: 1_764_000_000_000,
};

describe('chat handler: sendMessage', () => {
  it('commits in one transaction, acks the sender, delivers to the members, then marks the staged copy delivered, queueing nothing (the relay does)', async () => {
    groupThread(6);
    dynamodb.on(TransactWriteCommand).resolves({});
    mockConnectionLists(dynamodb, { bob: ['bob-conn='], alice: ['alice-conn='], carol: [] });

    expect(await invoke({ action: 'sendMessage', reqId: 'r1', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' })).toBeUndefined();

    const transaction = dynamodb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(transaction[0].Update).toMatchObject({ Key: { threadId: 'g_1', sk: 'meta' }, ConditionExpression: 'lastSeq = :previous' });
    expect(transaction[0].Update!.ExpressionAttributeValues).toMatchObject({ ':seq': 7, ':previous': 6 });
    expect(transaction[2].Put).toMatchObject({ TableName: 'send-records', Item: { sendKey: 'alice#c1', seq: 7, payloadDigest: payloadDigest('g_1', 'hi') } });
    expect(transaction[3].ConditionCheck).toMatchObject({ Key: { threadId: 'g_1', sk: 'member#alice' } });
    expect(transaction[1].Put).toMatchObject({ TableName: 'threads', Item: { threadId: 'g_1', sk: 'msg#000000000007', text: 'hi' } });
    // The copy lives until history has it: no TTL of its own (the table's TTL is for older copies).
    expect(transaction[1].Put!.Item).not.toHaveProperty('expiresAt');
    expect(sqs).not.toHaveReceivedAnyCommand();
    expect(postsTo('alice-conn=')).toEqual([expect.objectContaining({ type: 'ack', reqId: 'r1', status: 'sent', seq: 7 })]);
    expect(postsTo('bob-conn=')).toEqual([expect.objectContaining({ type: 'message', seq: 7, senderId: 'alice', text: 'hi' })]);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'threads',
      Key: { threadId: 'g_1', sk: 'msg#000000000007' },
      UpdateExpression: 'SET deliveredAt = :now',
      ConditionExpression: 'attribute_exists(sk)',
    });
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
    mockConnectionLists(dynamodb, {});
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
    mockConnectionLists(dynamodb, { bob: ['bob-conn='] });
    gateway.on(PostToConnectionCommand, { ConnectionId: 'bob-conn=' }).rejects(new GoneException({ message: 'gone', $metadata: {} }));

    await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' });

    expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, { TableName: 'connections-table', Key: { userId: 'bob', connectionId: 'bob-conn=' } });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'connections-table',
      Key: { userId: 'bob', connectionId: CONNECTION_LIST_KEY },
      UpdateExpression: 'DELETE connectionIds :connectionId',
      ExpressionAttributeValues: { ':connectionId': new Set(['bob-conn=']) },
    });
  });

  it('still delivers to the members when the ack cannot be posted', async () => {
    groupThread(1);
    dynamodb.on(TransactWriteCommand).resolves({});
    mockConnectionLists(dynamodb, { bob: ['bob-conn='] });
    gateway.on(PostToConnectionCommand, { ConnectionId: 'alice-conn=' }).rejects(new Error('LimitExceededException'));

    expect(await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' })).toBeUndefined();

    expect(postsTo('bob-conn=')).toEqual([expect.objectContaining({ type: 'message', seq: 2 })]);
  });

  it('publishes one push request to the topic for the members other than the sender with no live connection', async () => {
    groupThread(3);
    dynamodb.on(TransactWriteCommand).resolves({});
    mockConnectionLists(dynamodb, {});

    await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'are you there?' });

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const publish = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(publish.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:push');
    expect(JSON.parse(publish.Message!)).toEqual({ recipients: ['bob'], senderId: 'alice', threadId: 'g_1', seq: 4, preview: 'are you there?' });
  });

  function earlierSend(text: string) {
    dynamodb.on(BatchGetCommand).resolves({
      Responses: {
        threads: [
          { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 9, memberCount: 2 },
          { threadId: 'g_1', sk: 'member#alice', userId: 'alice', role: 'member' },
        ],
        'send-records': [{ sendKey: 'alice#c1', threadId: 'g_1', seq: 8, messageId: 'm-8', sentAt: 1_764_000_000_000, payloadDigest: payloadDigest('g_1', text) }],
      },
    });
  }

  /** The sender's budget updates: which item, and what each took (a charge) or gave back, in ms of refill. */
  const budgetUpdates = () =>
    dynamodb
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.TableName === BUDGETS_TABLE)
      .map((input) => ({ key: input.Key, update: input.UpdateExpression }));

  /** The send's one charge: its units and its message, in one write of the `sends` item. */
  const sendCharge = { key: { userId: 'alice', budget: 'sends' }, update: expect.stringMatching(/dueAt = .*messagesDueAt = /) };
  const giveBack = { key: { userId: 'alice', budget: 'sends' }, update: 'SET dueAt = dueAt - :cost0, messagesDueAt = messagesDueAt - :cost1' };

  it('acks a retried send with its first seq, gives its charge back (all but a frame’s), and delivers and pushes nothing again when its staged copy is marked delivered', async () => {
    earlierSend('hi');
    dynamodb.on(GetCommand, { TableName: 'threads', Key: { threadId: 'g_1', sk: 'msg#000000000008' } }).resolves({ Item: { ...stagedCopy, deliveredAt: 1_764_000_000_100 } });

    expect(await invoke({ action: 'sendMessage', reqId: 'r2', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' })).toBeUndefined();

    expect(budgetUpdates()).toEqual([sendCharge, giveBack]);
    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(gateway.commandCalls(PostToConnectionCommand).map((call) => call.args[0].input.ConnectionId)).toEqual(['alice-conn=']);
    expect(postsTo('alice-conn=')).toEqual([{ type: 'ack', reqId: 'r2', status: 'sent', clientMsgId: 'c1', threadId: 'g_1', seq: 8, messageId: 'm-8', sentAt: 1_764_000_000_000 }]);
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(sqs).not.toHaveReceivedAnyCommand();
    expect(dynamodb).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
  });

  it('delivers a retried send again from its staged copy (not the request) when the first send died before marking it, then marks it', async () => {
    earlierSend('hi');
    dynamodb.on(GetCommand, { TableName: 'threads', Key: { threadId: 'g_1', sk: 'msg#000000000008' } }).resolves({ Item: stagedCopy });
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
    mockConnectionLists(dynamodb, { bob: ['bob-conn='] });

    await invoke({ action: 'sendMessage', reqId: 'r2', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' });

    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(postsTo('alice-conn=')).toEqual([expect.objectContaining({ type: 'ack', reqId: 'r2', seq: 8, messageId: 'm-8' })]);
    expect(postsTo('bob-conn=')).toEqual([expect.objectContaining({ type: 'message', seq: 8, messageId: 'm-8', text: 'as committed' })]);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { TableName: 'threads', Key: { threadId: 'g_1', sk: 'msg#000000000008' }, UpdateExpression: 'SET deliveredAt = :now' });
  });

  it('answers bad_request to the same clientMsgId with another text, writing, queueing and delivering nothing, and gives the charge back', async () => {
    earlierSend('hi');

    const reply = await invoke({ action: 'sendMessage', reqId: 'r3', clientMsgId: 'c1', threadId: 'g_1', text: 'edited' });

    expect(reply).toEqual({ type: 'error', reqId: 'r3', code: 'bad_request', message: 'clientMsgId was already used for a different message' });
    expect(dynamodb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(sqs).not.toHaveReceivedAnyCommand();
    expect(gateway).not.toHaveReceivedAnyCommand();
    expect(budgetUpdates()).toEqual([sendCharge, giveBack]);
  });

  it('answers rate_limited to a user past 20 sends a second, from the one charge beside the first read, writing nothing', async () => {
    groupThread(1);
    // The messages sent are a second's refill ahead of what one more allows; the units have room.
    const full = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { dueAt: { N: '0' }, messagesDueAt: { N: String(Date.now() + 60_000) } } as never });
    dynamodb.on(UpdateCommand, { TableName: BUDGETS_TABLE }).rejects(full);
    // A user of their own: the handler's environment now remembers this bucket as full, and refuses them without a call.
    const reply = await invoke({ action: 'sendMessage', reqId: 'r5', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' }, 'flooder');
    expect(reply).toMatchObject({ type: 'error', reqId: 'r5', code: 'rate_limited', message: expect.stringMatching(/20 messages a second/), retryAfterMs: expect.any(Number) });
    expect(budgetUpdates()).toEqual([{ ...sendCharge, key: { userId: 'flooder', budget: 'sends' } }]);
    // Beside the charge, only the send's first read: nothing written.
    expect(callsBesideBudgets(dynamodb).map((call) => call.args[0].constructor.name)).toEqual(['BatchGetCommand']);
    expect(sqs).not.toHaveReceivedAnyCommand();
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
