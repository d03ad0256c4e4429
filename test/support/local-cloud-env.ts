import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CONNECTION_LIST_KEY } from '../../lambdas/adapters/dynamodb-connection-registry';
import { createPrivateKey, createSign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { TestClient } from './ws-client';

/** The local cloud of this test: the shared one `test/integration/global-setup.ts` started, or the file's own. */
export function localCloud() {
  const baseUrl = process.env.LOCAL_CLOUD_URL;
  const webSocketUrl = process.env.LOCAL_CLOUD_WS_URL;
  const dataDir = process.env.LOCAL_CLOUD_DATA_DIR;
  if (!baseUrl || !webSocketUrl || !dataDir) {
    throw new Error('no local cloud: integration tests run under their global setup, disruptive tests start their own (own-cloud.ts)');
  }
  return {
    baseUrl,
    webSocketUrl,
    /** Its data folder: tables, queues, history, the signing key and each function's log. */
    dataDir,
  };
}

export async function tokenFor(user: string, expiresIn?: number): Promise<string> {
  const query = new URLSearchParams({ user, ...(expiresIn === undefined ? {} : { expiresIn: String(expiresIn) }) });
  const response = await fetch(`${localCloud().baseUrl}/dev/token?${query}`);
  if (response.status !== 200) throw new Error(`/dev/token answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** A token with exactly these claims, signed with the local issuer's own key (kept in the cloud's data folder). */
export async function signedByLocalIssuer(claims: Record<string, unknown>): Promise<string> {
  const jwk = JSON.parse(await readFile(path.join(localCloud().dataDir, 'identity', 'signing-key.jwk.json'), 'utf8')) as { kid: string };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: jwk.kid })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(createPrivateKey({ key: jwk as never, format: 'jwk' }));
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** The claims of a token, read without verifying. */
export const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

export async function connectUrl(user: string, params: Record<string, string> = {}): Promise<string> {
  return `${localCloud().webSocketUrl}?${new URLSearchParams({ token: await tokenFor(user), ...params })}`;
}

export interface StandIns {
  dynamodb: { endpoint: string; tables: Record<string, string> };
  sqs: { endpoint: string; queues: Record<string, string> };
  cassandra: { endpoint: string; tables: string[]; adminPorts: { jmx: number } };
  sns: { endpoint: string; topics: Record<string, string>; platformApplications: { apns: string; fcm: string } };
  /** The IAM proxies functions call, and the access keys of the functions and the operator (secret `local`). */
  iam: { endpoints: Record<'dynamodb' | 'sqs' | 'sns' | 'keyspaces', string>; functionAccessKeys: Record<string, string>; operatorAccessKey: string };
}

/** Where the local cloud's stand-ins listen, and what the template's resources are called there. */
export async function standIns(): Promise<StandIns> {
  return (await (await fetch(`${localCloud().baseUrl}/dev/stand-ins`)).json()) as StandIns;
}

/** The one resource whose logical id starts with `prefix`, from a map by logical id. */
export function byLogicalId<T>(resources: Record<string, T>, prefix: string): T {
  const matches = Object.entries(resources).filter(([logicalId]) => logicalId.startsWith(prefix));
  if (matches.length !== 1) throw new Error(`expected one resource named ${prefix}*, found ${JSON.stringify(Object.keys(resources))}`);
  return matches[0][1];
}

/** The connection registry in DynamoDB Local, read directly, as an operator would. */
export async function connectionRegistry() {
  const { dynamodb } = await standIns();
  const tableName = byLogicalId(dynamodb.tables, 'Connections');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const itemsOf = async (userId: string) =>
    (await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'userId = :userId', ExpressionAttributeValues: { ':userId': userId }, ConsistentRead: true }))).Items ?? [];
  return {
    /** The user's connection records (not their connection list). */
    async connectionsOf(userId: string): Promise<Array<Record<string, unknown>>> {
      return (await itemsOf(userId)).filter((item) => item.connectionId !== CONNECTION_LIST_KEY);
    },
    /** The connection ids on the user's connection list, which deliveries read. */
    async listOf(userId: string): Promise<string[]> {
      const list = (await itemsOf(userId)).find((item) => item.connectionId === CONNECTION_LIST_KEY);
      return list?.connectionIds instanceof Set ? [...(list.connectionIds as Set<string>)].sort() : [];
    },
    /** Deletes the user's connection list, as if their connections predated the lists. */
    async dropList(userId: string): Promise<void> {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { userId, connectionId: CONNECTION_LIST_KEY } }));
    },
    /** Writes a record directly (and lists it), as if a connection had registered and then gone silent. */
    async put(record: Record<string, unknown>): Promise<void> {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { userId: record.userId, connectionId: CONNECTION_LIST_KEY },
          UpdateExpression: 'ADD connectionIds :connectionId',
          ExpressionAttributeValues: { ':connectionId': new Set([record.connectionId]) },
        }),
      );
      await client.send(new PutCommand({ TableName: tableName, Item: record }));
    },
    close: () => client.destroy(),
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not hold within ${timeoutMs} ms`);
}

/** A user id no other test uses, so tests can share one local cloud. */
export function uniqueUser(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A `connect(user, deviceId?)` for a test file: each client it opens is closed after the test,
 * so that tests leave no connection (nor its presence) behind.
 */
export function clientsClosedAfterEach(): (user: string, deviceId?: string) => Promise<TestClient> {
  const open: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
  });
  return async (user, deviceId) => {
    const client = await TestClient.connect(await connectUrl(user, deviceId ? { deviceId } : {}));
    open.push(client);
    return client;
  };
}

/** How many messages a queue of the template holds, waiting or in flight, read from ElasticMQ as an operator would. */
export async function messagesInQueue(logicalIdPrefix: string): Promise<number> {
  const { sqs } = await standIns();
  const client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: byLogicalId(sqs.queues, logicalIdPrefix),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  } finally {
    client.destroy();
  }
}
