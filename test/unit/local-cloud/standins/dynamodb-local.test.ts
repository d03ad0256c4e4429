/** DynamoDB Local as the local cloud starts it: its database file written without fsync, and kept across restarts. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startDynamoDbLocal, type RunningStandIn } from '../../../../local-cloud/standins/dynamodb-local';

jest.setTimeout(120_000);

let dataDir: string;
let dynamoDbLocal: RunningStandIn;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamodb-local-'));
  dynamoDbLocal = await startDynamoDbLocal(path.join(dataDir, 'db'), dataDir);
});
afterAll(async () => {
  await dynamoDbLocal?.service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it('commits without waiting for the disk (SQLite synchronous=OFF, read back from its connection)', async () => {
  const log = await readFile(path.join(dataDir, 'dynamodb.log'), 'utf8');
  expect(log).toMatch(/^SQLite synchronous=0$/m);
});

it('keeps what was written when it is stopped and started again, and commits without the disk again', async () => {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: dynamoDbLocal.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 }),
  );
  await client.send(
    new CreateTableCommand({ TableName: 'Kept', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
  );
  await client.send(new PutCommand({ TableName: 'Kept', Item: { pk: 'written', value: 1 } }));

  await dynamoDbLocal.service.stop();
  await dynamoDbLocal.service.restart();

  expect((await client.send(new GetCommand({ TableName: 'Kept', Key: { pk: 'written' } }))).Item).toEqual({ pk: 'written', value: 1 });
  const log = await readFile(path.join(dataDir, 'dynamodb.log'), 'utf8');
  expect(log.match(/^SQLite synchronous=0$/gm)).toHaveLength(2);
});
