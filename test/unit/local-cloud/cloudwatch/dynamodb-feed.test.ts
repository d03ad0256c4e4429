import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../../../local-cloud/config';
import { putDynamoDbCalls } from '../../../../local-cloud/services/cloudwatch/dynamodb-feed';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import { FunctionOutput } from '../../../../local-cloud/services/lambda/function-output';
import { FunctionPool } from '../../../../local-cloud/services/lambda/function-pool';
import { Meter } from '../../../../local-cloud/services/lambda/metering';

jest.setTimeout(30_000);

/** Makes one DynamoDB call of each kind the feed tells apart; the failing ones are caught. */
const HANDLER = `
const { DynamoDBClient, GetItemCommand, TransactWriteItemsCommand, PutItemCommand, UpdateItemCommand, DeleteItemCommand } = require('@aws-sdk/client-dynamodb');
const client = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
const Key = { id: { S: '1' } };
exports.handler = async () => {
  await client.send(new GetItemCommand({ TableName: 'Threads', Key }));
  await client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'Threads', Item: Key } }, { Put: { TableName: 'Sends', Item: Key } }] }));
  for (const command of [new PutItemCommand({ TableName: 'Threads', Item: Key }), new UpdateItemCommand({ TableName: 'Sends', Key }), new DeleteItemCommand({ TableName: 'Sends', Key })]) {
    await client.send(command).catch(() => undefined);
  }
  return 'done';
};`;

/** DynamoDB's answers, by operation: consumed capacity for the reads and writes, a 500, a throttle, a validation error. */
const ANSWERS: Record<string, [number, unknown]> = {
  GetItem: [200, { Item: { id: { S: '1' } }, ConsumedCapacity: { TableName: 'Threads', CapacityUnits: 0.5 } }],
  // As DynamoDB Local reports any transaction (4 units a table); the runner meters AWS's 2 an item instead.
  TransactWriteItems: [200, { ConsumedCapacity: [{ TableName: 'Threads', CapacityUnits: 4 }, { TableName: 'Sends', CapacityUnits: 4 }] }],
  PutItem: [500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }],
  UpdateItem: [400, { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }],
  DeleteItem: [400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'The provided key element does not match the schema' }],
};

describe('AWS/DynamoDB metrics from the functions` DynamoDB calls', () => {
  const meter = new Meter();
  const store = new MetricStore();
  let dynamodb: Server;
  let pool: FunctionPool;

  beforeAll(async () => {
    dynamodb = createServer((request, response) => {
      request.resume();
      const [status, body] = ANSWERS[String(request.headers['x-amz-target']).split('.')[1]];
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => dynamodb.listen(0, '127.0.0.1', resolve));
    const assetDirectory = mkdtempSync(path.join(os.tmpdir(), 'dynamodb-feed-asset-'));
    writeFileSync(path.join(assetDirectory, 'index.js'), HANDLER);
    meter.observe((record) => putDynamoDbCalls(store, record));
    pool = new FunctionPool(
      {
        logicalId: 'Worker',
        functionName: 'Messenger-Worker',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-Worker',
        assetDirectory,
        handler: 'index.handler',
        timeoutSeconds: 10,
        memoryMb: 256,
        environment: { DYNAMODB_ENDPOINT: `http://127.0.0.1:${(dynamodb.address() as AddressInfo).port}` },
      },
      { sdkRoot: PROJECT_ROOT, logDir: mkdtempSync(path.join(os.tmpdir(), 'dynamodb-feed-logs-')), runtimeEnvironment: {}, maxConcurrency: 1, region: 'us-east-1', meter, output: new FunctionOutput() },
    );
  });
  afterAll(async () => {
    pool.stop();
    await new Promise((resolve) => dynamodb.close(resolve));
  });

  it('puts consumed capacity per table, system errors and throttles per table and operation, and user errors', async () => {
    await expect(pool.invoke({})).resolves.toBe('done');
    const metrics = store.summaries('AWS/DynamoDB').map(({ metricName, dimensions, sum }) => ({ metricName, dimensions, sum }));
    expect(metrics).toEqual(
      expect.arrayContaining([
        { metricName: 'ConsumedReadCapacityUnits', dimensions: { TableName: 'Threads' }, sum: 0.5 },
        { metricName: 'ConsumedWriteCapacityUnits', dimensions: { TableName: 'Threads' }, sum: 2 },
        { metricName: 'ConsumedWriteCapacityUnits', dimensions: { TableName: 'Sends' }, sum: 2 },
        { metricName: 'SystemErrors', dimensions: { TableName: 'Threads', Operation: 'PutItem' }, sum: 1 },
        { metricName: 'ThrottledRequests', dimensions: { TableName: 'Sends', Operation: 'UpdateItem' }, sum: 1 },
        { metricName: 'WriteThrottleEvents', dimensions: { TableName: 'Sends' }, sum: 1 },
        { metricName: 'UserErrors', dimensions: {}, sum: 1 },
      ]),
    );
    expect(metrics).toHaveLength(7);
  });
});
