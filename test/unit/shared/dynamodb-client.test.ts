import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

jest.setTimeout(20_000);

/** An endpoint that takes every request and never answers it, as a hung call does. */
let hung: Server;
const requests: IncomingMessage[] = [];
beforeAll(async () => {
  hung = createServer((request) => void requests.push(request));
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  hung.closeAllConnections();
  await new Promise((resolve) => hung.close(resolve));
});

/** The functions' DynamoDB client, built for an endpoint as the local cloud points it (its settings are read when it calls). */
function documentClientFor(endpoint: string): DynamoDBDocumentClient {
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  let client: DynamoDBDocumentClient | undefined;
  jest.isolateModules(() => {
    client = (require('../../../lambdas/shared/clients/dynamodb') as typeof import('../../../lambdas/shared/clients/dynamodb')).documentClient;
  });
  return client!;
}
const savedEnvironment = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnvironment };
});

describe('the DynamoDB client', () => {
  it('gives up on a call that never gets an answer after three bounded attempts, well within a send’s budget', async () => {
    const client = documentClientFor(`http://127.0.0.1:${(hung.address() as AddressInfo).port}`);
    const startedAt = Date.now();
    const error = await client.send(new GetCommand({ TableName: 'threads', Key: { threadId: 't', sk: 'meta' } })).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const took = Date.now() - startedAt;
    client.destroy();

    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(requests).toHaveLength(3);
    expect(took).toBeGreaterThanOrEqual(3 * 2000);
    expect(took).toBeLessThan(8000);
  });
});
