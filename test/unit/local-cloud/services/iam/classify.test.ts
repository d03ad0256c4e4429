/** Requests as the real AWS SDK v3 clients send them, classified into the actions and ARNs IAM checks. */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreatePlatformEndpointCommand, PublishCommand, SetEndpointAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CancelMessageMoveTaskCommand, DeleteMessageBatchCommand, ListMessageMoveTasksCommand, SendMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, TransactGetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { classifyRequest, UnclassifiableRequestError, type IamService } from '../../../../../local-cloud/services/iam/classify';
import { accessKeyIdOf } from '../../../../../local-cloud/services/iam/enforcer';
import { startCaptureServer, type CaptureServer } from './capture-server';

const placement = { region: 'us-east-1', account: '000000000000', apiId: 'local' };
const credentials = { accessKeyId: 'LOCALChatActions', secretAccessKey: 'local' };
const table = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;
let capture: CaptureServer;
let config: { region: string; credentials: typeof credentials; endpoint: string; maxAttempts: number };

beforeAll(async () => {
  capture = await startCaptureServer();
  config = { region: 'us-east-1', credentials, endpoint: capture.endpoint, maxAttempts: 1 };
});
afterAll(() => capture.close());

/** Sends with the SDK (whatever the answer) and classifies the request it put on the wire. */
async function classifySent(service: IamService, send: () => Promise<unknown>) {
  capture.requests.length = 0;
  await send().catch(() => undefined);
  expect(capture.requests).toHaveLength(1);
  expect(accessKeyIdOf(String(capture.requests[0].headers.authorization))).toBe(credentials.accessKeyId);
  return classifyRequest(service, capture.requests[0], placement);
}

describe('request classification', () => {
  const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient(config));

  it('checks a DynamoDB transaction item by item, each with its own action on its own table', async () => {
    const needs = await classifySent('dynamodb', () =>
      documents().send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'Threads', Item: { pk: 'a' } } },
            { Update: { TableName: 'Users', Key: { pk: 'b' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 1 } } },
            { ConditionCheck: { TableName: 'Members', Key: { pk: 'c' }, ConditionExpression: 'attribute_exists(pk)' } },
            { Delete: { TableName: 'Sends', Key: { pk: 'd' } } },
          ],
        }),
      ),
    );
    expect(needs).toEqual([
      { action: 'dynamodb:PutItem', resource: table('Threads') },
      { action: 'dynamodb:UpdateItem', resource: table('Users') },
      { action: 'dynamodb:ConditionCheckItem', resource: table('Members') },
      { action: 'dynamodb:DeleteItem', resource: table('Sends') },
    ]);
    expect(await classifySent('dynamodb', () => documents().send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: 'Threads', Key: { pk: 'a' } } }] })))).toEqual([
      { action: 'dynamodb:GetItem', resource: table('Threads') },
    ]);
  });

  it('checks batches on each table they touch, and a query on the index it reads', async () => {
    expect(
      await classifySent('dynamodb', () => documents().send(new BatchGetCommand({ RequestItems: { Threads: { Keys: [{ pk: 'a' }] }, Sends: { Keys: [{ pk: 'b' }] } } }))),
    ).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: table('Threads') },
      { action: 'dynamodb:BatchGetItem', resource: table('Sends') },
    ]);
    expect(await classifySent('dynamodb', () => documents().send(new BatchWriteCommand({ RequestItems: { Users: [{ DeleteRequest: { Key: { pk: 'a' } } }] } })))).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: table('Users') },
    ]);
    expect(
      await classifySent('dynamodb', () =>
        documents().send(new QueryCommand({ TableName: 'Users', IndexName: 'byActivity', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'a' } })),
      ),
    ).toEqual([{ action: 'dynamodb:Query', resource: `${table('Users')}/index/byActivity` }]);
    expect(await classifySent('dynamodb', () => documents().send(new UpdateCommand({ TableName: table('Users'), Key: { pk: 'a' }, UpdateExpression: 'REMOVE x' })))).toEqual([
      { action: 'dynamodb:UpdateItem', resource: table('Users') },
    ]);
  });

  it('maps an SQS queue URL to the queue ARN, and a batch to its single action', async () => {
    const sqs = new SQSClient(config);
    const queueUrl = `${capture.endpoint}/000000000000/messages.fifo`;
    expect(await classifySent('sqs', () => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hi', MessageGroupId: 'g' })))).toEqual([
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:messages.fifo' },
    ]);
    expect(await classifySent('sqs', () => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '1', ReceiptHandle: 'r' }] })))).toEqual([
      { action: 'sqs:DeleteMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:messages.fifo' },
    ]);
  });

  it('checks a redrive on the dead-letter queue it names by ARN, and the send on a named destination', async () => {
    const sqs = new SQSClient(config);
    const dlq = 'arn:aws:sqs:us-east-1:000000000000:dead-letters';
    const onDeadLetters = ['StartMessageMoveTask', 'ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((name) => ({ action: `sqs:${name}`, resource: dlq }));
    expect(await classifySent('sqs', () => sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq, MaxNumberOfMessagesPerSecond: 5 })))).toEqual(onDeadLetters);
    expect(await classifySent('sqs', () => sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq, DestinationArn: 'arn:aws:sqs:us-east-1:000000000000:work' })))).toEqual([
      ...onDeadLetters,
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:work' },
    ]);
    expect(await classifySent('sqs', () => sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq, MaxResults: 10 })))).toEqual([{ action: 'sqs:ListMessageMoveTasks', resource: dlq }]);
    // A cancel names only its task handle: what it touches is unknown, so it is refused.
    await expect(classifySent('sqs', () => sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'handle' })))).rejects.toThrow(UnclassifiableRequestError);
    await expect(classifySent('sqs', () => sqs.send(new StartMessageMoveTaskCommand({ SourceArn: 'dead-letters' })))).rejects.toThrow(/SourceArn/);
  });

  it('reads SNS query requests: the topic or endpoint published to, the application an endpoint is created in', async () => {
    const sns = new SNSClient(config);
    const topic = 'arn:aws:sns:us-east-1:000000000000:push';
    const endpoint = 'arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/1';
    expect(await classifySent('sns', () => sns.send(new PublishCommand({ TopicArn: topic, Message: 'm' })))).toEqual([{ action: 'sns:Publish', resource: topic }]);
    expect(await classifySent('sns', () => sns.send(new PublishCommand({ TargetArn: endpoint, Message: 'm' })))).toEqual([{ action: 'sns:Publish', resource: endpoint }]);
    expect(
      await classifySent('sns', () => sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: 'arn:aws:sns:us-east-1:000000000000:app/GCM/app', Token: 't' }))),
    ).toEqual([{ action: 'sns:CreatePlatformEndpoint', resource: 'arn:aws:sns:us-east-1:000000000000:app/GCM/app' }]);
    expect(await classifySent('sns', () => sns.send(new SetEndpointAttributesCommand({ EndpointArn: endpoint, Attributes: { Enabled: 'true' } })))).toEqual([
      { action: 'sns:SetEndpointAttributes', resource: endpoint },
    ]);
  });

  it('names the @connections resource with its method and the connection id as API Gateway does', async () => {
    const management = new ApiGatewayManagementApiClient({ ...config, endpoint: `${capture.endpoint}/prod` });
    const arn = (method: string) => `arn:aws:execute-api:us-east-1:000000000000:local/prod/${method}/@connections/Ab+c/d=`;
    expect(await classifySent('execute-api', () => management.send(new PostToConnectionCommand({ ConnectionId: 'Ab+c/d=', Data: 'x' })))).toEqual([
      { action: 'execute-api:ManageConnections', resource: arn('POST') },
    ]);
    expect(await classifySent('execute-api', () => management.send(new GetConnectionCommand({ ConnectionId: 'Ab+c/d=' })))).toEqual([
      { action: 'execute-api:ManageConnections', resource: arn('GET') },
    ]);
    expect(await classifySent('execute-api', () => management.send(new DeleteConnectionCommand({ ConnectionId: 'Ab+c/d=' })))).toEqual([
      { action: 'execute-api:ManageConnections', resource: arn('DELETE') },
    ]);
  });

  it('refuses to guess what an unreadable request touches', () => {
    const request = (headers: Record<string, string>, body: string) => ({ method: 'POST', path: '/', headers, body: Buffer.from(body) });
    expect(() => classifyRequest('dynamodb', request({ 'x-amz-target': 'DynamoDB_20120810.PutItem' }, 'not json'), placement)).toThrow(UnclassifiableRequestError);
    expect(() => classifyRequest('dynamodb', request({ 'x-amz-target': 'DynamoDB_20120810.PutItem' }, '{}'), placement)).toThrow(/without a table name/);
    expect(() => classifyRequest('sqs', request({ 'x-amz-target': 'AmazonSQS.SendMessage' }, '{"QueueUrl":"http://h/q"}'), placement)).toThrow(/QueueUrl/);
    expect(() => classifyRequest('sns', request({}, 'Action=DeleteTopic&TopicArn=x'), placement)).toThrow(/Action "DeleteTopic"/);
  });
});
