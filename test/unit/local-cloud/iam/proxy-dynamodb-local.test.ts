/** The enforcing proxy in front of the real DynamoDB Local, the stand-in it will guard. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startIamProxy, type RunningIamProxy } from '../../../../local-cloud/iam/proxy';
import { startDynamoDbLocal, type RunningStandIn } from '../../../../local-cloud/standins/dynamodb-local';
import { CALLER, enforcerAllowing } from './test-enforcer';

jest.setTimeout(120_000);

let dataDir: string;
let dynamoDbLocal: RunningStandIn;
let proxy: RunningIamProxy;
let direct: DynamoDBDocumentClient;
let throughProxy: DynamoDBDocumentClient;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'iam-proxy-'));
  dynamoDbLocal = await startDynamoDbLocal(path.join(dataDir, 'db'), dataDir);
  const settings = { region: 'us-east-1', maxAttempts: 1 };
  direct = DynamoDBDocumentClient.from(new DynamoDBClient({ ...settings, endpoint: dynamoDbLocal.endpoint, credentials: { accessKeyId: 'admin', secretAccessKey: 'local' } }));
  for (const TableName of ['Threads', 'Secrets']) {
    await direct.send(
      new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
    );
  }
  proxy = await startIamProxy({
    upstream: dynamoDbLocal.endpoint,
    service: 'dynamodb',
    enforcer: enforcerAllowing([
      { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/*' },
      { Effect: 'Deny', Action: 'dynamodb:PutItem', Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/Secrets' },
    ]),
    log: () => undefined,
  });
  throughProxy = DynamoDBDocumentClient.from(new DynamoDBClient({ ...settings, endpoint: proxy.endpoint, credentials: CALLER }));
});
afterAll(async () => {
  await proxy?.stop();
  await dynamoDbLocal?.service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('IAM proxy in front of DynamoDB Local', () => {
  it('lets an allowed transaction through, and refuses one with a single denied item whole, writing nothing', async () => {
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
});
