/**
 * IAM enforced in the running local cloud: each function's key, used from outside with the SDK or
 * the Cassandra driver against the endpoints functions are given, can do what its role allows and
 * is refused the rest with AWS's own error, before the stand-in sees the call.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CONNECTION_LIST_KEY } from '../../lambdas/adapters/dynamodb-connection-registry';
import { KeyspacesSigV4AuthProvider } from '../../lambdas/adapters/keyspaces-sigv4';
import { Client } from '../../lambdas/shared/cassandra-driver';
import { byLogicalId, connectionRegistry, connectUrl, localCloud, standIns, uniqueUser, type StandIns } from '../support/local-cloud-env';
import { TestClient } from '../support/ws-client';

jest.setTimeout(60_000);

const REGION = 'us-east-1';
let stand: StandIns;
/** A function's credentials, as its execution environment has them. */
const credentialsOf = (functionPrefix: string) => ({ accessKeyId: byLogicalId(stand.iam.functionAccessKeys, functionPrefix), secretAccessKey: 'local' });
const deniedBecause = (action: string, resource: string) =>
  new RegExp(`^User: arn:aws:sts::000000000000:assumed-role/[^/]+/[^ ]+ is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action$`);

beforeAll(async () => {
  stand = await standIns();
});

describe('a function calling DynamoDB and SQS outside its role', () => {
  it('is refused with AccessDeniedException and nothing reaches the table, while its granted calls work', async () => {
    const connectionsTable = byLogicalId(stand.dynamodb.tables, 'Connections');
    const devicesTable = byLogicalId(stand.dynamodb.tables, 'PushDevices');
    const asChat = new DynamoDBClient({ endpoint: stand.iam.endpoints.dynamodb, region: REGION, credentials: credentialsOf('ChatActions'), maxAttempts: 1 });
    const user = uniqueUser('mallory');

    const lookup = await asChat.send(new BatchGetItemCommand({ RequestItems: { [connectionsTable]: { Keys: [{ userId: { S: user }, connectionId: { S: CONNECTION_LIST_KEY } }], ConsistentRead: true } } }));
    expect(lookup.Responses?.[connectionsTable]).toEqual([]);

    // The chat function asks for pushes through SNS; registering devices is another function's.
    const device = { userId: { S: user }, deviceKey: { S: 'forged' } };
    await expect(asChat.send(new PutItemCommand({ TableName: devicesTable, Item: device }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(deniedBecause('dynamodb:PutItem', `arn:aws:dynamodb:us-east-1:000000000000:table/${devicesTable}`)),
    });
    const direct = new DynamoDBClient({ endpoint: stand.dynamodb.endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    expect((await direct.send(new GetItemCommand({ TableName: devicesTable, Key: device }))).Item).toBeUndefined();
    asChat.destroy();
    direct.destroy();
  });

  it('refuses a queue read to a function that may only send to it', async () => {
    const queueUrl = byLogicalId(stand.sqs.queues, 'MessagePipelineQueue');
    const asChat = new SQSClient({ endpoint: stand.iam.endpoints.sqs, region: REGION, credentials: credentialsOf('ChatActions'), maxAttempts: 1 });
    await expect(asChat.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
      // SQS names the action in lower case in its message.
      message: expect.stringMatching(deniedBecause('sqs:receivemessage', `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`)),
    });
    asChat.destroy();
  });

  it('does not recognize a key that is no identity of the stack', async () => {
    const stranger = new DynamoDBClient({ endpoint: stand.iam.endpoints.dynamodb, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
    await expect(stranger.send(new QueryCommand({ TableName: byLogicalId(stand.dynamodb.tables, 'Connections'), KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': { S: 'x' } } }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    stranger.destroy();
  });
});

describe('a function running CQL outside its role on Keyspaces', () => {
  it('reads the history it is granted, and is refused a write with Unauthorized', async () => {
    const { accessKeyId, secretAccessKey } = credentialsOf('GetMessages');
    const client = new Client({
      contactPoints: [stand.iam.endpoints.keyspaces],
      localDataCenter: 'datacenter1',
      authProvider: new KeyspacesSigV4AuthProvider(REGION, async () => ({ accessKeyId, secretAccessKey })),
    });
    try {
      const [table] = stand.cassandra.tables;
      const [keyspace, tableName] = table.split('.');
      await expect(client.execute(`SELECT * FROM ${table} LIMIT 1`)).resolves.toBeDefined();
      await expect(client.execute(`DELETE FROM ${table} WHERE thread_id = ?`, ['nobody'], { prepare: false })).rejects.toMatchObject({
        code: 0x2100,
        message: expect.stringMatching(deniedBecause('cassandra:Modify', `arn:aws:cassandra:us-east-1:000000000000:/keyspace/${keyspace}/table/${tableName}`)),
      });
    } finally {
      await client.shutdown();
    }
  });
});

describe('a function managing connections outside its role', () => {
  // The relay posts messages; it is behind no frame route, so it may not close a connection (only the sweep and the frame routes' flood guard may).
  it('posts to a connection, and is refused describing or deleting it', async () => {
    const user = uniqueUser('trent');
    const socket = await TestClient.connect(await connectUrl(user));
    const registry = await connectionRegistry();
    const [{ connectionId }] = (await registry.connectionsOf(user)) as Array<{ connectionId: string }>;
    registry.close();
    const asRelay = new ApiGatewayManagementApiClient({ endpoint: `${localCloud().baseUrl}/prod`, region: REGION, credentials: credentialsOf('RelayFunction'), maxAttempts: 1 });

    await asRelay.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ type: 'first' }) }));
    expect(await socket.waitFor((frame) => frame.type === 'first')).toEqual({ type: 'first' });
    await expect(asRelay.send(new GetConnectionCommand({ ConnectionId: connectionId }))).rejects.toMatchObject({ name: 'AccessDeniedException' });

    await expect(asRelay.send(new DeleteConnectionCommand({ ConnectionId: connectionId }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
    await asRelay.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ type: 'still-open' }) }));
    expect(await socket.waitFor((frame) => frame.type === 'still-open')).toEqual({ type: 'still-open' });
    asRelay.destroy();
    await socket.close();
  });
});
