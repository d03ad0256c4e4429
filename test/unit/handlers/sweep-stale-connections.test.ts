import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambdas/handlers/sweep-stale-connections';
import { lambdaContext } from '../../support/lambda-events';

const dynamodb = mockClient(DynamoDBDocumentClient);

beforeEach(() => dynamodb.reset());

const scheduledEvent = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

it('finds stale connections through the expiry index, one Query per shard, and removes them unless refreshed since', async () => {
  dynamodb.on(QueryCommand).callsFake(async (input: { IndexName: string; ExpressionAttributeValues: Record<string, unknown> }) => ({
    Items:
      input.IndexName === 'byExpiry' && input.ExpressionAttributeValues[':shard'] === 3
        ? [
            { userId: 'bob', connectionId: 'b1=', expiryShard: 3, expiresAt: 100 },
            { userId: 'carol', connectionId: 'c1=', expiryShard: 3, expiresAt: 100 },
          ]
        : [],
  }));
  dynamodb.on(DeleteCommand).resolves({});
  dynamodb.on(DeleteCommand, { Key: { userId: 'carol', connectionId: 'c1=' } }).rejects(new ConditionalCheckFailedException({ message: 'refreshed', $metadata: {} }));
  const before = Math.floor(Date.now() / 1000);

  expect(await handler(scheduledEvent as never, lambdaContext)).toEqual({ removed: 1, closedForExpiredToken: 0 });

  const queries = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input).filter((query) => query.IndexName === 'byExpiry');
  expect(queries).toHaveLength(16);
  for (const query of queries) {
    expect(query).toMatchObject({ TableName: 'connections-table', IndexName: 'byExpiry', KeyConditionExpression: 'expiryShard = :shard AND expiresAt < :now' });
    expect(query.ExpressionAttributeValues![':now']).toBeGreaterThanOrEqual(before);
  }
  expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, {
    TableName: 'connections-table',
    Key: { userId: 'bob', connectionId: 'b1=' },
    ConditionExpression: 'expiresAt < :now',
  });
});

it('closes, through DELETE @connections, a connection whose token expired, found through the token expiry index', async () => {
  const management = mockClient(ApiGatewayManagementApiClient);
  dynamodb.on(QueryCommand).callsFake(async (input: { IndexName: string; ExpressionAttributeValues: Record<string, unknown> }) => ({
    Items: input.IndexName === 'byTokenExpiry' && input.ExpressionAttributeValues[':shard'] === 5 ? [{ userId: 'erin', connectionId: 'e1=' }] : [],
  }));
  dynamodb.on(DeleteCommand).resolves({});
  management.on(DeleteConnectionCommand).resolves({});

  expect(await handler(scheduledEvent as never, lambdaContext)).toEqual({ removed: 0, closedForExpiredToken: 1 });
  expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, { Key: { userId: 'erin', connectionId: 'e1=' }, ConditionExpression: 'tokenExpiresAt < :now' });
  expect(dynamodb.commandCalls(QueryCommand).filter((call) => call.args[0].input.IndexName === 'byTokenExpiry')).toHaveLength(16);
  expect(management.commandCalls(DeleteConnectionCommand).map((call) => call.args[0].input)).toEqual([{ ConnectionId: 'e1=' }]);
  management.restore();
});

it('fails the run when DynamoDB fails, for the next run to make good', async () => {
  dynamodb.on(QueryCommand).rejects(new Error('throttled'));
  await expect(handler(scheduledEvent as never, lambdaContext)).rejects.toThrow('throttled');
});
