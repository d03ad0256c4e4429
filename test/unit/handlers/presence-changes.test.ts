import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { CONNECTION_LIST_KEY } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { directThreadId } from '../../../lambdas/domain/chat/threads';
import { handler } from '../../../lambdas/handlers/presence-changes';
import { metrics } from '../../../lambdas/shared/observability';
import { lambdaContext } from '../../support/lambda-events';

const dynamodb = mockClient(DynamoDBDocumentClient);
const gateway = mockClient(ApiGatewayManagementApiClient);

const NOW_SECONDS = Math.floor(Date.now() / 1000);

function image(userId: string, connectionId: string, expiresAt = NOW_SECONDS + 600) {
  return {
    userId: { S: userId },
    connectionId: { S: connectionId },
    deviceId: { S: connectionId },
    connectedAt: { N: String((NOW_SECONDS - 60) * 1000) },
    lastActiveAt: { N: String((NOW_SECONDS - 30) * 1000) },
    expiresAt: { N: String(expiresAt) },
  };
}

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', sequence: string, userId: string, connectionId: string) {
  const keys = { userId: { S: userId }, connectionId: { S: connectionId } };
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      ApproximateCreationDateTime: NOW_SECONDS,
      Keys: keys,
      SequenceNumber: sequence,
      ...(eventName === 'REMOVE' ? {} : { NewImage: image(userId, connectionId) }),
      ...(eventName === 'INSERT' ? {} : { OldImage: image(userId, connectionId) }),
    },
  };
}

const addMetric = jest.spyOn(metrics, 'addMetric');

const run = (records: unknown[]) => handler({ Records: records } as DynamoDBStreamEvent, lambdaContext);

beforeEach(() => {
  addMetric.mockClear();
  dynamodb.reset();
  gateway.reset();
  gateway.on(PostToConnectionCommand).resolves({});
  // Recording a status answers the version it made; confirming its publication answers nothing.
  dynamodb.on(UpdateCommand).resolves({ Attributes: { version: 1 } });
  dynamodb.on(BatchWriteCommand).resolves({});
  // No subscriptions of closed connections to end unless a test says otherwise.
  dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions', IndexName: 'bySubscriber' }).resolves({ Items: [] });
  // bob and his subscriber alice share their direct thread, and neither changed a setting.
  dynamodb.on(QueryCommand, { TableName: 'user-threads' }).resolves({ Items: [{ threadId: directThreadId('bob', 'alice'), kind: 'dm' }] });
  dynamodb.on(BatchGetCommand).resolves({ Responses: { 'user-settings': [] } });
});

it("publishes online to the user's subscribers when their first connection opens", async () => {
  dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Count: 1 });
  dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions', KeyConditionExpression: 'watchedUserId = :watched' }).resolves({ Items: [{ connectionId: 'a1=', subscriberUserId: 'alice' }] });

  expect(await run([record('INSERT', '100', 'bob', 'b1=')])).toEqual({ batchItemFailures: [] });

  expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
    TableName: 'presence',
    Key: { userId: 'bob' },
    ConditionExpression: 'attribute_not_exists(#status) OR #status <> :status',
    ExpressionAttributeValues: expect.objectContaining({ ':status': 'online', ':pending': true }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  expect(gateway).toHaveReceivedCommandWith(PostToConnectionCommand, {
    ConnectionId: 'a1=',
    Data: JSON.stringify({ type: 'presence', users: [{ userId: 'bob', status: 'online' }] }),
  });
});

it("counts the user's live connections with a strongly consistent Query of the registry's base table", async () => {
  dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Count: 0 });
  dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions', KeyConditionExpression: 'watchedUserId = :watched' }).resolves({ Items: [] });

  await run([record('REMOVE', '100', 'bob', 'b1=')]);

  const [count] = dynamodb.commandCalls(QueryCommand, { TableName: 'connections-table' }).map((call) => call.args[0].input);
  // An eventually consistent read could still see the connection that the stream reports closed.
  expect(count).toMatchObject({ ConsistentRead: true, KeyConditionExpression: 'userId = :userId', ExpressionAttributeValues: expect.objectContaining({ ':userId': 'bob' }) });
  // A global secondary index would refuse ConsistentRead (ValidationException).
  expect(count.IndexName).toBeUndefined();
});

it('publishes nothing when the status was already so', async () => {
  dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Count: 1 });
  dynamodb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'already online', $metadata: {} }));

  expect(await run([record('INSERT', '100', 'bob', 'b2=')])).toEqual({ batchItemFailures: [] });
  expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { TableName: 'presence', Key: { userId: 'bob' }, ExpressionAttributeValues: expect.objectContaining({ ':status': 'online' }) });
  expect(gateway).not.toHaveReceivedCommand(PostToConnectionCommand);
});

it('publishes a transition again when its first publication failed: the record fails, and its retry posts the change once more', async () => {
  dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Count: 1 });
  dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions', KeyConditionExpression: 'watchedUserId = :watched' }).resolves({ Items: [{ connectionId: 'a1=', subscriberUserId: 'alice' }] });
  const confirmations: UpdateCommandInput[] = [];
  let recorded = false;
  dynamodb.on(UpdateCommand).callsFake(async (input: UpdateCommandInput) => {
    if (input.UpdateExpression === 'REMOVE publishPending') return void confirmations.push(input);
    if (!recorded) return ((recorded = true), { Attributes: { version: 7 } });
    // The retry finds bob online already, with that change's publication never confirmed.
    throw new ConditionalCheckFailedException({
      message: 'already online',
      $metadata: {},
      Item: { userId: { S: 'bob' }, status: { S: 'online' }, version: { N: '7' }, publishPending: { BOOL: true } },
    });
  });
  gateway.on(PostToConnectionCommand).rejectsOnce(Object.assign(new Error('Internal server error'), { $metadata: { httpStatusCode: 500 } })).resolves({});

  expect(await run([record('INSERT', '100', 'bob', 'b1=')])).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
  expect(confirmations).toEqual([]);

  expect(await run([record('INSERT', '100', 'bob', 'b1=')])).toEqual({ batchItemFailures: [] });
  const frame = JSON.stringify({ type: 'presence', users: [{ userId: 'bob', status: 'online' }] });
  expect(gateway.commandCalls(PostToConnectionCommand).map((call) => call.args[0].input)).toEqual([
    { ConnectionId: 'a1=', Data: frame },
    { ConnectionId: 'a1=', Data: frame },
  ]);
  expect(confirmations).toEqual([expect.objectContaining({ Key: { userId: 'bob' }, ConditionExpression: '#version = :version', ExpressionAttributeValues: { ':version': 7 } })]);
});

it("publishes offline with lastSeen after the last connection closes, ends the closed connection's subscriptions, and drops a gone subscriber", async () => {
  dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Count: 0 });
  dynamodb
    .on(QueryCommand, { TableName: 'presence-subscriptions', IndexName: 'bySubscriber', ExpressionAttributeValues: { ':connection': 'b1=' } })
    .resolves({ Items: [{ watchedUserId: 'carol', connectionId: 'b1=' }] });
  dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions', KeyConditionExpression: 'watchedUserId = :watched' }).resolves({ Items: [{ connectionId: 'gone=', subscriberUserId: 'alice' }] });
  gateway.on(PostToConnectionCommand).rejects(new GoneException({ message: 'gone', $metadata: {} }));

  const before = Date.now();
  await run([record('REMOVE', '200', 'bob', 'b1=')]);

  const values = dynamodb.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues!;
  expect(values[':status']).toBe('offline');
  // Closed before it went stale: last seen when the close came through.
  expect(values[':lastSeen']).toBeGreaterThanOrEqual(before);
  expect(values[':lastSeen']).toBeLessThanOrEqual(Date.now());
  const deletes = dynamodb.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems!['presence-subscriptions']);
  expect(deletes).toContainEqual([{ DeleteRequest: { Key: { watchedUserId: 'carol', connectionId: 'b1=' } } }]);
  expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'bySubscriber', ExpressionAttributeValues: { ':connection': 'gone=' } });
});

it("ignores refreshes (MODIFY) and skips a record it cannot read, without retrying the batch", async () => {
  const unreadable = { eventID: 'bad', eventName: 'INSERT', dynamodb: { SequenceNumber: '300', NewImage: { userId: { S: 'bob' } } } };

  dynamodb.on(QueryCommand, { TableName: 'connections-table' }).resolves({ Count: 1 });
  dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions', KeyConditionExpression: 'watchedUserId = :watched' }).resolves({ Items: [] });

  expect(await run([record('MODIFY', '299', 'bob', 'b1='), unreadable, record('INSERT', '301', 'carol', 'c1=')])).toEqual({ batchItemFailures: [] });

  // Only carol's opening counts.
  const statusesRecorded = dynamodb.commandCalls(UpdateCommand).filter((call) => call.args[0].input.ExpressionAttributeValues?.[':status'] !== undefined);
  expect(statusesRecorded.map((call) => call.args[0].input.Key)).toEqual([{ userId: 'carol' }]);
});

it("skips the creation of a user's connection list, which sits beside their records, without counting it unreadable", async () => {
  const listCreated = {
    eventID: 'list',
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: '400', Keys: { userId: { S: 'bob' }, connectionId: { S: CONNECTION_LIST_KEY } }, NewImage: { userId: { S: 'bob' }, connectionId: { S: CONNECTION_LIST_KEY }, connectionIds: { SS: ['b1='] } } },
  };

  expect(await run([listCreated])).toEqual({ batchItemFailures: [] });

  expect(dynamodb.commandCalls(UpdateCommand)).toEqual([]);
  expect(addMetric.mock.calls.filter(([name]) => name === 'UnreadableConnectionChanges')).toEqual([]);
});

it("fails the records of a user whose status could not be worked out, so that Lambda retries from them", async () => {
  dynamodb.on(QueryCommand, { TableName: 'connections-table' }).callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => {
    if (input.ExpressionAttributeValues[':userId'] === 'bob') throw new Error('throttled');
    return { Count: 1 };
  });
  dynamodb.on(QueryCommand, { TableName: 'presence-subscriptions', KeyConditionExpression: 'watchedUserId = :watched' }).resolves({ Items: [] });

  const result = await run([record('INSERT', '401', 'carol', 'c1='), record('INSERT', '402', 'bob', 'b1='), record('REMOVE', '403', 'bob', 'b0=')]);

  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '402' }, { itemIdentifier: '403' }] });
  expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, { Key: { userId: 'carol' } });
  expect(addMetric).toHaveBeenCalledWith('PresenceChangesFailed', 'Count', 1);
});
