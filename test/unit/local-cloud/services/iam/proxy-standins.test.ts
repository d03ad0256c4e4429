/** The enforcing proxy in front of the real DynamoDB Local and ElasticMQ, the stand-ins it will guard. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startIamProxy, type RunningIamProxy } from '../../../../../local-cloud/services/iam/proxy';
import { startDynamoDbLocal, type RunningStandIn } from '../../../../../local-cloud/standins/dynamodb-local';
import { startElasticMq } from '../../../../../local-cloud/standins/elasticmq';
import { CALLER, enforcerAllowing } from './test-enforcer';

jest.setTimeout(120_000);

const settings = { region: 'us-east-1', maxAttempts: 1 };
const ADMIN = { accessKeyId: 'admin', secretAccessKey: 'local' };
const enforcer = enforcerAllowing([
  { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/*' },
  { Effect: 'Deny', Action: 'dynamodb:PutItem', Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/Secrets' },
  { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:000000000000:allowed' },
]);
let dataDir: string;
let dynamoDbLocal: RunningStandIn;
let elasticMq: RunningStandIn;
const proxies: RunningIamProxy[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'iam-proxy-'));
  [dynamoDbLocal, elasticMq] = await Promise.all([startDynamoDbLocal(path.join(dataDir, 'db'), dataDir), startElasticMq(path.join(dataDir, 'sqs'), dataDir)]);
});
afterAll(async () => {
  await Promise.allSettled(proxies.map((proxy) => proxy.stop()));
  await Promise.allSettled([dynamoDbLocal?.service.stop(), elasticMq?.service.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

async function proxyTo(upstream: RunningStandIn, service: 'dynamodb' | 'sqs'): Promise<RunningIamProxy> {
  const proxy = await startIamProxy({ upstream: upstream.endpoint, service, enforcer, log: () => undefined });
  proxies.push(proxy);
  return proxy;
}

describe('IAM proxy in front of the stand-ins', () => {
  it('DynamoDB Local: lets an allowed transaction through, and refuses one with a single denied item whole, writing nothing', async () => {
    const direct = DynamoDBDocumentClient.from(new DynamoDBClient({ ...settings, endpoint: dynamoDbLocal.endpoint, credentials: ADMIN }));
    for (const TableName of ['Threads', 'Secrets']) {
      await direct.send(
        new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
      );
    }
    const throughProxy = DynamoDBDocumentClient.from(new DynamoDBClient({ ...settings, endpoint: (await proxyTo(dynamoDbLocal, 'dynamodb')).endpoint, credentials: CALLER }));

    await throughProxy.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'Threads', Item: { pk: 'allowed' } } }] }));
    expect((await direct.send(new GetCommand({ TableName: 'Threads', Key: { pk: 'allowed' } }))).Item).toEqual({ pk: 'allowed' });
    expect((await throughProxy.send(new GetCommand({ TableName: 'Threads', Key: { pk: 'allowed' } }))).Item).toEqual({ pk: 'allowed' });

    const refused = throughProxy.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: 'Threads', Item: { pk: 'half' } } }, { Put: { TableName: 'Secrets', Item: { pk: 'half' } } }],
      }),
    );
    await expect(refused).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(/dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/Secrets with an explicit deny in an identity-based policy$/),
    });
    expect((await direct.send(new GetCommand({ TableName: 'Threads', Key: { pk: 'half' } }))).Item).toBeUndefined();
  });

  it('ElasticMQ: queue URLs that name the proxy reach the queue through it, and only allowed sends land', async () => {
    const direct = new SQSClient({ ...settings, endpoint: elasticMq.endpoint, credentials: ADMIN });
    for (const QueueName of ['allowed', 'forbidden']) await direct.send(new CreateQueueCommand({ QueueName }));
    const proxy = await proxyTo(elasticMq, 'sqs');
    // As functions do: no client endpoint, the queue URL's host (the proxy) is where the SDK sends.
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const throughProxy = new SQSClient({ ...settings, credentials: CALLER, logger: quiet });
    const queueUrl = (name: string) => `${proxy.endpoint}/000000000000/${name}`;

    await throughProxy.send(new SendMessageCommand({ QueueUrl: queueUrl('allowed'), MessageBody: 'landed' }));
    await expect(throughProxy.send(new SendMessageCommand({ QueueUrl: queueUrl('forbidden'), MessageBody: 'refused' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringContaining('sqs:sendmessage on resource: arn:aws:sqs:us-east-1:000000000000:forbidden'),
    });
    const received = async (name: string) =>
      ((await direct.send(new ReceiveMessageCommand({ QueueUrl: `${elasticMq.endpoint}/000000000000/${name}`, WaitTimeSeconds: 1 }))).Messages ?? []).map((message) => message.Body);
    expect(await received('allowed')).toEqual(['landed']);
    expect(await received('forbidden')).toEqual([]);
  });
});
