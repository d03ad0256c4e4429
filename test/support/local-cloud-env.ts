import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

/** The shared local cloud that `test/integration/global-setup.ts` started. */
export function localCloud() {
  const baseUrl = process.env.LOCAL_CLOUD_URL;
  const webSocketUrl = process.env.LOCAL_CLOUD_WS_URL;
  if (!baseUrl || !webSocketUrl) throw new Error('the integration tests run only under their global setup, which starts the local cloud');
  return { baseUrl, webSocketUrl, idleTimeoutSeconds: Number(process.env.LOCAL_CLOUD_IDLE_SECONDS) };
}

export async function tokenFor(user: string, expiresIn?: number): Promise<string> {
  const query = new URLSearchParams({ user, ...(expiresIn === undefined ? {} : { expiresIn: String(expiresIn) }) });
  const response = await fetch(`${localCloud().baseUrl}/dev/token?${query}`);
  if (response.status !== 200) throw new Error(`/dev/token answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

export async function connectUrl(user: string, params: Record<string, string> = {}): Promise<string> {
  return `${localCloud().webSocketUrl}?${new URLSearchParams({ token: await tokenFor(user), ...params })}`;
}

interface StandIns {
  dynamodb: { endpoint: string; tables: Record<string, string> };
}

/** The connection registry in DynamoDB Local, read directly, as an operator would. */
export async function connectionRegistry() {
  const standIns = (await (await fetch(`${localCloud().baseUrl}/dev/stand-ins`)).json()) as StandIns;
  const [tableName] = Object.entries(standIns.dynamodb.tables).filter(([logicalId]) => logicalId.startsWith('Connections'));
  if (!tableName) throw new Error(`no connections table among ${JSON.stringify(standIns.dynamodb.tables)}`);
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: standIns.dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return {
    async connectionsOf(userId: string): Promise<Array<Record<string, unknown>>> {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName[1],
          KeyConditionExpression: 'userId = :userId',
          ExpressionAttributeValues: { ':userId': userId },
          ConsistentRead: true,
        }),
      );
      return result.Items ?? [];
    },
    close: () => client.destroy(),
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
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
