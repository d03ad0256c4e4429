import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { handler } from '../../../lambdas/handlers/outbox-relay';
import { lambdaContext } from '../../support/lambda-events';
import { mockConnectionLists } from '../../support/connection-lists';

const dynamodb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const gateway = mockClient(ApiGatewayManagementApiClient);
const sns = mockClient(SNSClient);

/** Committed long ago: the lease has run out, so nothing waits. */
const SENT_AT = 1_764_000_000_000;
const keyOf = (seq: number) => `msg#${String(seq).padStart(12, '0')}`;

function staged(sequence: string, threadId: string, seq: number, overrides: Record<string, unknown> = {}) {
  return {
    eventID: `e${sequence}`,
    eventName: 'INSERT',
    dynamodb: {
      Keys: { threadId: { S: threadId }, sk: { S: keyOf(seq) } },
      SequenceNumber: sequence,
      NewImage: {
        threadId: { S: threadId },
        sk: { S: keyOf(seq) },
        seq: { N: String(seq) },
        messageId: { S: `m${seq}` },
        senderId: { S: 'alice' },
        clientMsgId: { S: `c${seq}` },
        text: { S: 'hi' },
        sentAt: { N: String(SENT_AT + seq) },
        ...overrides,
      },
    },
  };
}

function marked(sequence: string, threadId: string, seq: number) {
  const record = staged(sequence, threadId, seq, { deliveredAt: { N: String(SENT_AT + 100) } });
  return { ...record, eventName: 'MODIFY' };
}

const run = (records: unknown[]) => handler({ Records: records } as DynamoDBStreamEvent, lambdaContext);
const queuedBodies = () => sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries!.map((entry) => JSON.parse(entry.MessageBody!)));

beforeEach(() => {
  for (const client of [dynamodb, sqs, gateway, sns]) client.reset();
  dynamodb.on(UpdateCommand).resolves({});
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ sk: 'member#alice', userId: 'alice' }, { sk: 'member#bob', userId: 'bob' }] });
  dynamodb.on(BatchGetCommand).resolves({ Responses: { threads: [] } });
  mockConnectionLists(dynamodb, {});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  gateway.on(PostToConnectionCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'p' });
});

it('hands each staged message to the history queue as the stream image has it, and moves each member’s row once per thread', async () => {
  expect(await run([staged('1', 'g_1', 3), staged('2', 'g_1', 5), staged('3', 'g_1', 4)])).toEqual({ batchItemFailures: [] });

  expect(queuedBodies()).toEqual([3, 5, 4].map((seq) => ({ threadId: 'g_1', seq, messageId: `m${seq}`, senderId: 'alice', clientMsgId: `c${seq}`, text: 'hi', sentAt: SENT_AT + seq })));
  expect(sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.QueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/messages');
  const rowUpdates = dynamodb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.TableName === 'user-threads');
  expect(rowUpdates.map((update) => update.args[0].input.Key)).toEqual([
    { userId: 'alice', threadId: 'g_1' },
    { userId: 'bob', threadId: 'g_1' },
  ]);
  expect(rowUpdates[0].args[0].input.ExpressionAttributeValues).toEqual({ ':seq': 5, ':at': SENT_AT + 5 });
  // Read with the members, marked once they moved: the thread's rows now stand at this message.
  expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'threads', KeyConditionExpression: 'threadId = :threadId AND sk BETWEEN :first AND :mark', ExpressionAttributeValues: { ':threadId': 'g_1', ':first': 'member#', ':mark': 'member$rows' }, ConsistentRead: true });
  const updates = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
  expect(updates.at(-1)).toMatchObject({ TableName: 'threads', Key: { threadId: 'g_1', sk: 'member$rows' }, ExpressionAttributeValues: { ':at': SENT_AT + 5 }, ConditionExpression: 'attribute_not_exists(rowActivity) OR rowActivity < :at' });
});

it.each([
  ['leaves the rows where they are while they were moved within a minute of the newest message', SENT_AT + 5 - 60_000, 0],
  ['moves the rows when they were last moved more than a minute before the newest message', SENT_AT + 4 - 60_000, 2],
])('%s', async (_case, rowActivity, rowsMoved) => {
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ sk: 'member#alice', userId: 'alice' }, { sk: 'member#bob', userId: 'bob' }, { sk: 'member$rows', rowActivity }] });
  expect(await run([staged('1', 'g_1', 3), staged('2', 'g_1', 5)])).toEqual({ batchItemFailures: [] });
  expect(dynamodb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.TableName === 'user-threads')).toHaveLength(rowsMoved);
  expect(queuedBodies().map((body) => body.seq)).toEqual([3, 5]);
});

it('re-reads unmarked copies strongly and delivers, pushes and marks the ones still unmarked; a mark in the batch spares its message', async () => {
  dynamodb.on(BatchGetCommand).resolves({ Responses: { threads: [{ ...staged('1', 'g_1', 3).dynamodb.NewImage, threadId: 'g_1', sk: keyOf(3), seq: 3, messageId: 'm3', senderId: 'alice', clientMsgId: 'c3', text: 'hi', sentAt: SENT_AT + 3 }] } });
  mockConnectionLists(dynamodb, { alice: ['alice-1'] });

  await run([staged('1', 'g_1', 3), staged('2', 'g_1', 4), marked('3', 'g_1', 4)]);

  const read = dynamodb.commandCalls(BatchGetCommand)[0].args[0].input.RequestItems!.threads;
  expect(read).toEqual({ Keys: [{ threadId: 'g_1', sk: keyOf(3) }], ConsistentRead: true });
  expect(gateway).toHaveReceivedCommandWith(PostToConnectionCommand, { ConnectionId: 'alice-1' });
  expect(JSON.parse(String(sns.commandCalls(PublishCommand)[0].args[0].input.Message))).toMatchObject({ recipients: ['bob'], seq: 3 });
  expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { TableName: 'threads', Key: { threadId: 'g_1', sk: keyOf(3) }, ConditionExpression: 'attribute_exists(sk)' });
  // The mark's own record is not a message: only 3 and 4 go to history.
  expect(queuedBodies().map((body) => body.seq)).toEqual([3, 4]);
});

it('fails only the records of a thread that could not be relayed, so that Lambda retries from them', async () => {
  dynamodb.on(QueryCommand, { TableName: 'threads', ExpressionAttributeValues: { ':threadId': 'g_2' } }).rejects(new Error('throttled'));

  const result = await run([staged('1', 'g_1', 1), staged('2', 'g_2', 7), staged('3', 'g_2', 8)]);

  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }, { itemIdentifier: '3' }] });
  expect(queuedBodies().map((body) => body.threadId)).toEqual(['g_1']);
});

it('fails the records of a thread whose messages SQS kept refusing', async () => {
  sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: Array<{ Id: string; MessageBody: string }> }) => ({
    Successful: [],
    Failed: input.Entries.filter((entry) => JSON.parse(entry.MessageBody).threadId === 'g_2').map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError' })),
  }));
  expect(await run([staged('1', 'g_1', 1), staged('2', 'g_2', 7)])).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
});

it.each([
  ['a thread head', { eventID: 'h', eventName: 'INSERT', dynamodb: { SequenceNumber: '9', NewImage: { threadId: { S: 'g_1' }, sk: { S: 'meta' } } } }],
  ['a staged message without its text', (() => { const record = staged('9', 'g_1', 2); delete (record.dynamodb.NewImage as Record<string, unknown>).text; return record; })()],
  ['a staged message whose seq is not a number', staged('9', 'g_1', 2, { seq: { N: 'two' } })],
  ['a staged message whose text is over 4000 characters', staged('9', 'g_1', 2, { text: { S: 'x'.repeat(4001) } })],
  ['a change that is not a mark', { ...staged('9', 'g_1', 2), eventName: 'MODIFY' }],
  ['a removal', { ...staged('9', 'g_1', 2), eventName: 'REMOVE' }],
])('skips, without retrying or relaying it, %s', async (_case, record) => {
  expect(await run([record, staged('2', 'g_2', 1)])).toEqual({ batchItemFailures: [] });
  expect(queuedBodies().map((body) => body.threadId)).toEqual(['g_2']);
  const moved = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key!.threadId);
  // Both members' rows, then the mark.
  expect(moved).toEqual(['g_2', 'g_2', 'g_2']);
});
