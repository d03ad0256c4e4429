import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { handler } from '../../../lambdas/handlers/thread-activity';
import { lambdaContext } from '../../support/lambda-events';

const dynamodb = mockClient(DynamoDBDocumentClient);

function staged(sequence: string, threadId: string, seq: number, sentAt = 1_764_000_000_000 + seq) {
  const sk = `msg#${String(seq).padStart(12, '0')}`;
  return {
    eventID: `e${sequence}`,
    eventName: 'INSERT',
    dynamodb: {
      Keys: { threadId: { S: threadId }, sk: { S: sk } },
      SequenceNumber: sequence,
      NewImage: {
        threadId: { S: threadId },
        sk: { S: sk },
        seq: { N: String(seq) },
        messageId: { S: `m${seq}` },
        senderId: { S: 'alice' },
        clientMsgId: { S: `c${seq}` },
        text: { S: 'hi' },
        sentAt: { N: String(sentAt) },
        expiresAt: { N: '1764259200' },
      },
    },
  };
}

const run = (records: unknown[]) => handler({ Records: records } as DynamoDBStreamEvent, lambdaContext);

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(UpdateCommand).resolves({});
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }] });
});

it("moves each member's row of a thread once, to the newest of its messages in the batch", async () => {
  expect(await run([staged('1', 'g_1', 3), staged('2', 'g_1', 5), staged('3', 'g_1', 4)])).toEqual({ batchItemFailures: [] });

  const updates = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
  expect(updates.map((update) => update.Key)).toEqual([
    { userId: 'alice', threadId: 'g_1' },
    { userId: 'bob', threadId: 'g_1' },
  ]);
  expect(updates[0]).toMatchObject({
    TableName: 'user-threads',
    ExpressionAttributeValues: { ':seq': 5, ':at': 1_764_000_000_005 },
    ConditionExpression: expect.stringContaining('lastSeq < :seq'),
  });
  expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(1);
});

it('changes nothing, and fails nothing, for rows already past the message or of members who left', async () => {
  dynamodb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'already newer', $metadata: {} }));
  expect(await run([staged('1', 'g_1', 3)])).toEqual({ batchItemFailures: [] });
  // Both rows were asked to move; their conditions said no.
  expect(dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key)).toEqual([
    { userId: 'alice', threadId: 'g_1' },
    { userId: 'bob', threadId: 'g_1' },
  ]);
});

it("fails only the records of a thread whose rows could not be moved, so that Lambda retries from them", async () => {
  dynamodb.on(QueryCommand, { TableName: 'threads', ExpressionAttributeValues: { ':threadId': 'g_2' } }).rejects(new Error('throttled'));

  const result = await run([staged('1', 'g_1', 1), staged('2', 'g_2', 7), staged('3', 'g_2', 8)]);

  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }, { itemIdentifier: '3' }] });
  expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { Key: { userId: 'alice', threadId: 'g_1' } });
});

it('skips, without retrying, a record that is not a staged message', async () => {
  const head = { eventID: 'h', eventName: 'INSERT', dynamodb: { SequenceNumber: '9', NewImage: { threadId: { S: 'g_1' }, sk: { S: 'meta' } } } };
  expect(await run([head, staged('2', 'g_2', 1)])).toEqual({ batchItemFailures: [] });
  // Only the staged message's thread moved.
  const moved = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key!.threadId);
  expect(moved).toEqual(['g_2', 'g_2']);
});
