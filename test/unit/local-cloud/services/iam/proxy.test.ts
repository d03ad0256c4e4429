/** The enforcing proxy against a fake stand-in: refusals never reach it, the rest pass through unchanged. */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startIamProxy, type RunningIamProxy } from '../../../../../local-cloud/services/iam/proxy';
import { CALLER, enforcerAllowing, SESSION_ARN } from './test-enforcer';

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/Threads';
const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
let upstreamConnections = 0;
let upstream: Server;
let proxy: RunningIamProxy;
const denials: string[] = [];

beforeAll(async () => {
  upstream = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString() });
    // Answered in two chunks, as a stand-in streaming a large result would.
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-stand-in': 'fake' });
    response.write('{"Item":{"pk":');
    setImmediate(() => response.end('{"S":"a"}}}'));
  });
  upstream.on('connection', () => upstreamConnections++);
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startIamProxy({
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    service: 'dynamodb',
    enforcer: enforcerAllowing([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE_ARN }]),
    log: (message) => denials.push(message),
  });
});
afterAll(async () => {
  await proxy.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});
beforeEach(() => {
  received.length = 0;
  denials.length = 0;
});

const client = (credentials = CALLER) => new DynamoDBClient({ region: 'us-east-1', endpoint: proxy.endpoint, credentials, maxAttempts: 1 });

describe('IAM proxy', () => {
  it('forwards an allowed call unchanged, streams the answer back, and keeps upstream connections alive', async () => {
    const dynamodb = client();
    const connectionsBefore = upstreamConnections;
    const first = await dynamodb.send(new GetItemCommand({ TableName: 'Threads', Key: { pk: { S: 'a' } } }));
    const second = await dynamodb.send(new GetItemCommand({ TableName: 'Threads', Key: { pk: { S: 'b' } } }));
    expect(first.Item).toEqual({ pk: { S: 'a' } });
    expect(second.$metadata.httpStatusCode).toBe(200);
    expect(received).toHaveLength(2);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/', body: '{"TableName":"Threads","Key":{"pk":{"S":"a"}}}' });
    expect(received[0].headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${CALLER.accessKeyId}/`));
    expect(received[0].headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(upstreamConnections - connectionsBefore).toBe(1);
  });

  it('answers a call the role does not allow with AccessDeniedException, and never forwards it', async () => {
    const error = await client()
      .send(new PutItemCommand({ TableName: 'Threads', Item: { pk: { S: 'a' } } }))
      .catch((caught: Error & { $metadata: { httpStatusCode: number } }) => caught);
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
      message: `User: ${SESSION_ARN} is not authorized to perform: dynamodb:PutItem on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:PutItem action`,
    });
    expect(received).toHaveLength(0);
    expect(denials).toEqual([expect.stringContaining('dynamodb:PutItem on resource')]);
  });

  it('refuses a caller whose access key no function was given', async () => {
    const error = await client({ accessKeyId: 'local', secretAccessKey: 'local' })
      .send(new GetItemCommand({ TableName: 'Threads', Key: { pk: { S: 'a' } } }))
      .catch((caught: Error) => caught);
    expect(error).toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } });
    expect(received).toHaveLength(0);
  });
});
