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

/** The authorizer's context for a token that expires in an hour. */
const authorized = (userId: string, extra: Record<string, unknown> = {}) => ({ userId, principalId: userId, tokenExpiresAt: Math.floor(Date.now() / 1000) + 3600, ...extra });

describe('$connect', () => {
  it('registers the connection under its user with the device and an expiry one idle period ahead', async () => {
    dynamodb.on(PutCommand).resolves({});
    // A token that expires an hour after the handshake (the fixture's request time is fixed).
    const tokenExpiresAt = Math.floor(connectEvent(null, {}).requestContext.requestTimeEpoch / 1000) + 3600;
    const authorizer = authorized('alice', { deviceId: 'laptop', tokenExpiresAt });
    const event = connectEvent({ token: 't', deviceId: 'laptop' }, authorizer);

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
        tokenExpiresAt: authorizer.tokenExpiresAt,
        expiryShard: expect.any(Number),
      },
    });
    expect(result.headers).toBeUndefined();
  });

  it("records when the connection's token expires (the context's number may arrive as a string), apart from its idle expiry", async () => {
    dynamodb.on(PutCommand).resolves({});
    const event = connectEvent({ token: 't' }, authorized('alice'));
    const soon = Math.floor(event.requestContext.requestTimeEpoch / 1000) + 30;
    await connect(connectEvent({ token: 't' }, authorized('alice', { tokenExpiresAt: String(soon) })) as never, lambdaContext);
    expect(dynamodb.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ expiresAt: soon - 30 + 600, tokenExpiresAt: soon });
  });

  it('records no token expiry for a token that outlives the connection (API Gateway closes it within 2 hours), keeping it out of the token-expiry index', async () => {
    dynamodb.on(PutCommand).resolves({});
    const event = connectEvent({ token: 't' }, authorized('alice'));
    const requestedAt = Math.floor(event.requestContext.requestTimeEpoch / 1000);
    await connect(connectEvent({ token: 't' }, authorized('alice', { tokenExpiresAt: requestedAt + 7200 })) as never, lambdaContext);
    await connect(connectEvent({ token: 't' }, authorized('alice', { tokenExpiresAt: requestedAt + 7199 })) as never, lambdaContext);
    const [outliving, closing] = dynamodb.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(outliving).not.toHaveProperty('tokenExpiresAt');
    expect(closing).toMatchObject({ tokenExpiresAt: requestedAt + 7199 });
  });

  it('answers a client that offered subprotocols with messenger.v1 in Sec-WebSocket-Protocol, never with the token', async () => {
    dynamodb.on(PutCommand).resolves({});
    const headers = { 'Sec-WebSocket-Protocol': 'messenger.v1, bearer.aaa.bbb.ccc' };
    const result = await connect(connectEvent(null, authorized('alice'), headers) as never, lambdaContext);
    expect(result).toMatchObject({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'messenger.v1' } });
  });

  it('refuses with 400, writing nothing, a token subprotocol offered without messenger.v1 (there would be nothing to echo)', async () => {
    const result = await connect(connectEvent(null, authorized('alice'), { 'sec-websocket-protocol': 'bearer.aaa.bbb.ccc' }) as never, lambdaContext);
    expect(result.statusCode).toBe(400);
    expect(result.body).toMatch(/messenger\.v1/);
    expect(dynamodb).not.toHaveReceivedAnyCommand();
  });

  it('makes each connection its own device when the client names none', async () => {
    dynamodb.on(PutCommand).resolves({});
    await connect(connectEvent({ token: 't' }, authorized('alice')) as never, lambdaContext);
    expect(dynamodb.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ deviceId: 'conn-1=' });
  });

  it('refuses with 429, and writes nothing, a user who already holds the most connections anyone may', async () => {
    dynamodb.on(QueryCommand).resolves({ Count: MAX_CONNECTIONS_PER_USER });
    const result = await connect(connectEvent({ token: 't' }, authorized('alice')) as never, lambdaContext);
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
    const result = await connect(connectEvent({ token: 't' }, authorized('mallory')) as never, lambdaContext);
    expect(result.statusCode).toBe(429);
    expect(dynamodb).not.toHaveReceivedCommand(PutCommand);
  });

  it('registers a connection while the user holds one fewer than the cap', async () => {
    dynamodb.on(QueryCommand).resolves({ Count: MAX_CONNECTIONS_PER_USER - 1 });
    dynamodb.on(PutCommand).resolves({});
    const result = await connect(connectEvent({ token: 't' }, authorized('alice')) as never, lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(dynamodb).toHaveReceivedCommand(PutCommand);
  });

  it('refuses an invalid deviceId with 400 and writes nothing', async () => {
    const result = await connect(
      connectEvent({ token: 't', deviceId: 'bad device' }, authorized('alice')) as never,
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
