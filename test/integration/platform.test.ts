import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TestSigner, tamper } from '../support/tokens';
import { byLogicalId, claimsOf, connectionRegistry, connectUrl, eventually, localCloud, signedByLocalIssuer, standIns, tokenFor, uniqueUser } from '../support/local-cloud-env';
import { handshakeStatus, TestClient } from '../support/ws-client';

jest.setTimeout(60_000);

let registry: Awaited<ReturnType<typeof connectionRegistry>>;

beforeAll(async () => {
  registry = await connectionRegistry();
});
afterAll(() => registry.close());

describe('handshake', () => {
  it('opens with a token from /dev/token and answers ping with pong', async () => {
    const client = await TestClient.connect(await connectUrl(uniqueUser('alice')));
    expect(await client.request({ action: 'ping' })).toEqual({ type: 'pong', reqId: 'req-1' });
    await client.close();
  });

  it('registers the connection under its user and device, and forgets it on close', async () => {
    const user = uniqueUser('bob');
    const client = await TestClient.connect(await connectUrl(user, { deviceId: 'phone' }));
    const [record] = await registry.connectionsOf(user);
    expect(record).toMatchObject({ userId: user, deviceId: 'phone', connectionId: expect.any(String) });
    expect(record.expiresAt).toBeGreaterThan(Date.now() / 1000);
    // On the user's connection list too, which deliveries read.
    expect(await registry.listOf(user)).toEqual([record.connectionId]);

    await client.close();
    await eventually(async () => (await registry.connectionsOf(user)).length === 0, 15_000, 'the record to be deleted on $disconnect');
    expect(await registry.listOf(user)).toEqual([]);
  });

  it('refreshes a connection on a frame only when its record was not refreshed within a quarter idle period, as by another function', async () => {
    const user = uniqueUser('dora');
    const fresh = await TestClient.connect(await connectUrl(user, { deviceId: 'fresh' }));
    const [connected] = await registry.connectionsOf(user);
    expect(await fresh.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
    // The connect left it fresh: the ping writes nothing (a write would move its expiry index entry again).
    expect(await registry.connectionsOf(user)).toEqual([connected]);

    const aging = await TestClient.connect(await connectUrl(user, { deviceId: 'aging' }));
    const record = (await registry.connectionsOf(user)).find((candidate) => candidate.deviceId === 'aging')!;
    const nowSeconds = Math.floor(Date.now() / 1000);
    // As if last refreshed 500 s ago, by another function.
    await registry.put({ ...record, lastActiveAt: (nowSeconds - 500) * 1000, expiresAt: nowSeconds + 100 });
    expect(await aging.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
    const refreshed = (await registry.connectionsOf(user)).find((candidate) => candidate.deviceId === 'aging')!;
    expect(refreshed.expiresAt).toBeGreaterThanOrEqual(nowSeconds + 600);
    await Promise.all([fresh.close(), aging.close()]);
  });

  it('keeps one record per connection when a user opens several', async () => {
    const user = uniqueUser('carol');
    const clients = await Promise.all([1, 2, 3].map(async () => TestClient.connect(await connectUrl(user))));
    const records = await registry.connectionsOf(user);
    expect(records).toHaveLength(3);
    expect(await registry.listOf(user)).toEqual(records.map((record) => String(record.connectionId)).sort());
    await Promise.all(clients.map((client) => client.close()));
  });

  describe('refuses, and writes nothing, for', () => {
    const user = uniqueUser('mallory');
    afterAll(async () => expect(await registry.connectionsOf(user)).toEqual([]));

    it('no token (401)', async () => {
      expect(await handshakeStatus(localCloud().webSocketUrl)).toBe(401);
    });

    it('a token that is not a JWT (401)', async () => {
      expect(await handshakeStatus(`${localCloud().webSocketUrl}?token=not-a-jwt`)).toBe(401);
    });

    it('an expired token, signed by the issuer itself (401)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await signedByLocalIssuer({ ...claimsOf(await tokenFor(user)), iat: now - 120, exp: now - 60 });
      expect(await handshakeStatus(`${localCloud().webSocketUrl}?token=${expired}`)).toBe(401);
      // The same token for someone else, but not yet expired, is let in: only its expiry refused it.
      const someone = uniqueUser('someone');
      const current = await signedByLocalIssuer({ ...claimsOf(await tokenFor(someone)), iat: now - 120, exp: now + 60 });
      await (await TestClient.connect(`${localCloud().webSocketUrl}?token=${current}`)).close();
    });

    it('a token whose claims were changed after signing (401)', async () => {
      const token = await tokenFor(uniqueUser('someone'));
      expect(await handshakeStatus(`${localCloud().webSocketUrl}?token=${tamper(token, { ...claimsOf(token), sub: user })}`)).toBe(401);
    });

    it('a token signed by a key the issuer never published (401)', async () => {
      const genuine = await tokenFor(user);
      const header = JSON.parse(Buffer.from(genuine.split('.')[0], 'base64url').toString()) as { kid: string };
      const forged = new TestSigner(header.kid).sign(claimsOf(genuine));
      expect(await handshakeStatus(`${localCloud().webSocketUrl}?token=${forged}`)).toBe(401);
    });

    it('a device id outside the contract (400)', async () => {
      expect(await handshakeStatus(await connectUrl(user, { deviceId: 'not/valid' }))).toBe(400);
    });
  });

  it('answers 404 to a WebSocket handshake on another path', async () => {
    expect(await handshakeStatus(`${localCloud().webSocketUrl}elsewhere?token=${await tokenFor(uniqueUser('lost'))}`)).toBe(404);
  });

  it('refuses /dev/token for a user id outside the contract', async () => {
    const response = await fetch(`${localCloud().baseUrl}/dev/token?user=${encodeURIComponent('a b')}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/user/);
  });
});

describe('frames', () => {
  let client: TestClient;
  beforeEach(async () => {
    client = await TestClient.connect(await connectUrl(uniqueUser('dave')));
  });
  afterEach(() => client.close());

  it('answers an unknown action with bad_request, echoing reqId', async () => {
    expect(await client.request({ action: 'teleport' })).toEqual({
      type: 'error',
      reqId: 'req-1',
      code: 'bad_request',
      message: 'unknown action "teleport"',
    });
  });

  it('answers a frame that is not JSON with bad_request and keeps the connection open', async () => {
    client.send('hello?');
    expect(await client.waitFor((frame) => frame.type === 'error')).toMatchObject({ code: 'bad_request' });
    expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('closes the connection with 1009 for a frame over 32 KB', async () => {
    client.send(JSON.stringify({ action: 'ping', padding: 'x'.repeat(33 * 1024) }));
    expect((await client.closed).code).toBe(1009);
  });

  it('accepts a frame of just under 32 KB', async () => {
    const reply = await client.request({ action: 'ping', padding: 'x'.repeat(32 * 1024 - 100) });
    expect(reply).toMatchObject({ type: 'pong' });
  });
});

describe('expiry', () => {
  it('deletes an item whose TTL has passed, as DynamoDB TTL does', async () => {
    // The send records table: no function of the stack deletes its items (the stale-connection
    // sweep would delete an expired connection record too), so only TTL can.
    const { dynamodb } = await standIns();
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    const TableName = byLogicalId(dynamodb.tables, 'ChatSendRecords');
    const [expired, live] = [uniqueUser('ttl-expired'), uniqueUser('ttl-live')];
    const exists = async (sendKey: string) => (await client.send(new GetCommand({ TableName, Key: { sendKey }, ConsistentRead: true }))).Item !== undefined;
    try {
      const nowSeconds = Math.floor(Date.now() / 1000);
      await client.send(new PutCommand({ TableName, Item: { sendKey: expired, expiresAt: nowSeconds - 1 } }));
      await client.send(new PutCommand({ TableName, Item: { sendKey: live, expiresAt: nowSeconds + 600 } }));
      await eventually(async () => !(await exists(expired)), 30_000, 'the expired item to be deleted');
      expect(await exists(live)).toBe(true);
    } finally {
      client.destroy();
    }
  });
});

describe('@connections management API, through the unmodified AWS SDK client', () => {
  // As an operator with an administrator's credentials: no function's role may delete connections.
  const management = async () =>
    new ApiGatewayManagementApiClient({
      endpoint: `${localCloud().baseUrl}/prod`,
      region: 'us-east-1',
      credentials: { accessKeyId: (await standIns()).iam.operatorAccessKey, secretAccessKey: 'local' },
    });

  it('posts to, describes and deletes a connection, then answers 410 Gone', async () => {
    const user = uniqueUser('grace');
    const client = await TestClient.connect(await connectUrl(user));
    const [{ connectionId }] = (await registry.connectionsOf(user)) as Array<{ connectionId: string }>;
    const api = await management();

    await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ type: 'hello' }) }));
    expect(await client.waitFor((frame) => frame.type === 'hello')).toEqual({ type: 'hello' });

    const described = await api.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(described.ConnectedAt).toBeInstanceOf(Date);
    expect(described.Identity?.SourceIp).toBe('127.0.0.1');

    await api.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await client.closed;

    const gone = api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' }));
    await expect(gone).rejects.toBeInstanceOf(GoneException);
    await expect(gone).rejects.toMatchObject({ $metadata: { httpStatusCode: 410 } });
    api.destroy();
  });
});
