import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MAX_CONNECTIONS_PER_USER } from '../../../lambdas/domain/budget';
import { admitEveryCharge, BUDGETS_TABLE } from '../../support/budget-mocks';
import { handler as connect } from '../../../lambdas/handlers/connect';
import { handler as disconnect } from '../../../lambdas/handlers/disconnect';
import { connectEvent, lambdaContext, messageEvent } from '../../support/lambda-events';

const dynamodb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  dynamodb.reset();
  // The user's live connections, counted before a new one is registered: none yet.
  dynamodb.on(QueryCommand).resolves({ Count: 0 });
  admitEveryCharge(dynamodb);
});

describe('$connect', () => {
  it('registers the connection under its user with the device and an expiry one idle period ahead', async () => {
    dynamodb.on(PutCommand).resolves({});
    const event = connectEvent({ token: 't', deviceId: 'laptop' }, { userId: 'alice', deviceId: 'laptop', principalId: 'alice' });

    const result = await connect(event as never, lambdaContext);

    expect(result.statusCode).toBe(200);
    const requestedAt = event.requestContext.requestTimeEpoch;
    expect(dynamodb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'connections-table',
      Item: {
        userId: 'alice',
        connectionId: 'conn-1=',
        deviceId: 'laptop',
        connectedAt: requestedAt,
        lastActiveAt: requestedAt,
        expiresAt: Math.floor(requestedAt / 1000) + 600,
        expiryShard: expect.any(Number),
      },
    });
  });

  it('makes each connection its own device when the client names none', async () => {
    dynamodb.on(PutCommand).resolves({});
    await connect(connectEvent({ token: 't' }, { userId: 'alice', principalId: 'alice' }) as never, lambdaContext);
    expect(dynamodb.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ deviceId: 'conn-1=' });
  });

  it('refuses with 429, and writes nothing, a user who already holds the most connections anyone may', async () => {
    dynamodb.on(QueryCommand).resolves({ Count: MAX_CONNECTIONS_PER_USER });
    const result = await connect(connectEvent({ token: 't' }, { userId: 'alice', principalId: 'alice' }) as never, lambdaContext);
    expect(result.statusCode).toBe(429);
    expect(result.body).toMatch(`${MAX_CONNECTIONS_PER_USER} connections`);
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'connections-table', ConsistentRead: true, ExpressionAttributeValues: expect.objectContaining({ ':userId': 'alice' }) });
    expect(dynamodb).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses with 429, and registers nothing, a handshake over its user\'s budget', async () => {
    // The bucket is full until an hour from now: no handshake fits.
    const full = new ConditionalCheckFailedException({ message: 'over', $metadata: {}, Item: { dueAt: { N: String(Date.now() + 3_600_000) } } });
    dynamodb.on(UpdateCommand, { TableName: BUDGETS_TABLE }).rejects(full);
    // A user of their own: the function remembers a bucket it found full.
    const result = await connect(connectEvent({ token: 't' }, { userId: 'mallory', principalId: 'mallory' }) as never, lambdaContext);
    expect(result.statusCode).toBe(429);
    expect(dynamodb).not.toHaveReceivedCommand(PutCommand);
  });

  it('registers a connection while the user holds one fewer than the cap', async () => {
    dynamodb.on(QueryCommand).resolves({ Count: MAX_CONNECTIONS_PER_USER - 1 });
    dynamodb.on(PutCommand).resolves({});
    const result = await connect(connectEvent({ token: 't' }, { userId: 'alice', principalId: 'alice' }) as never, lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(dynamodb).toHaveReceivedCommand(PutCommand);
  });

  it('refuses an invalid deviceId with 400 and writes nothing', async () => {
    const result = await connect(
      connectEvent({ token: 't', deviceId: 'bad device' }, { userId: 'alice', principalId: 'alice' }) as never,
      lambdaContext,
    );
    expect(result.statusCode).toBe(400);
    expect(result.body).toMatch(/deviceId/);
    expect(dynamodb).not.toHaveReceivedAnyCommand();
  });

  it('fails, refusing the handshake, when the authorizer context is missing', async () => {
    await expect(connect(connectEvent({ token: 't' }, undefined) as never, lambdaContext)).rejects.toThrow(/authorizer context/);
    expect(dynamodb).not.toHaveReceivedAnyCommand();
  });
});

describe('$disconnect', () => {
  it('deletes exactly the closed connection of its user', async () => {
    dynamodb.on(DeleteCommand).resolves({});
    const result = await disconnect(messageEvent('', 'bob', 'gone==') as never, lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: 'connections-table',
      Key: { userId: 'bob', connectionId: 'gone==' },
    });
  });
});
