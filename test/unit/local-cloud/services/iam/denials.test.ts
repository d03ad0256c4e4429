/** Each refusal, fed to the real AWS SDK v3 client, raises the error the SDK raises on AWS. */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AuthorizationErrorException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { accessDenied, accessDeniedMessage, invalidAccessKey } from '../../../../../local-cloud/services/iam/denials';
import { startCaptureServer, type CaptureServer } from './capture-server';

const SESSION = 'arn:aws:sts::000000000000:assumed-role/Messenger-ChatRole/Messenger-Chat';
let capture: CaptureServer;
let config: { region: string; credentials: { accessKeyId: string; secretAccessKey: string }; endpoint: string; maxAttempts: number };

beforeAll(async () => {
  capture = await startCaptureServer();
  config = { region: 'us-east-1', credentials: { accessKeyId: 'LOCALChat', secretAccessKey: 'local' }, endpoint: capture.endpoint, maxAttempts: 1 };
});
afterAll(() => capture.close());

async function errorOf(send: () => Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number }; Code?: string }> {
  try {
    await send();
  } catch (error) {
    return error as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('the call succeeded');
}

describe('denials as AWS sends them', () => {
  it('words the message as IAM does, for implicit and explicit denials', () => {
    expect(accessDeniedMessage('dynamodb', SESSION, 'dynamodb:PutItem', 'arn:t', { kind: 'implicit' })).toBe(
      `User: ${SESSION} is not authorized to perform: dynamodb:PutItem on resource: arn:t because no identity-based policy allows the dynamodb:PutItem action`,
    );
    expect(accessDeniedMessage('sqs', SESSION, 'sqs:SendMessage', 'arn:q', { kind: 'explicit', policyKind: 'resource' })).toBe(
      `User: ${SESSION} is not authorized to perform: sqs:sendmessage on resource: arn:q with an explicit deny in a resource-based policy`,
    );
    expect(accessDeniedMessage('sns', SESSION, 'sns:Publish', 'arn:t', { kind: 'explicit', policyKind: 'identity' })).toMatch(
      /perform: SNS:Publish on resource: arn:t with an explicit deny in an identity-based policy$/,
    );
  });

  it('DynamoDB: AccessDeniedException, 400', async () => {
    const message = accessDeniedMessage('dynamodb', SESSION, 'dynamodb:PutItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/T', { kind: 'implicit' });
    capture.answer = accessDenied('dynamodb', message);
    const error = await errorOf(() => new DynamoDBClient(config).send(new PutItemCommand({ TableName: 'T', Item: { pk: { S: 'a' } } })));
    expect([error.name, error.$metadata.httpStatusCode, error.message]).toEqual(['AccessDeniedException', 400, message]);
  });

  it('SQS: AccessDenied, 403', async () => {
    const message = accessDeniedMessage('sqs', SESSION, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q', { kind: 'implicit' });
    capture.answer = accessDenied('sqs', message);
    const error = await errorOf(() => new SQSClient(config).send(new SendMessageCommand({ QueueUrl: `${capture.endpoint}/000000000000/q`, MessageBody: 'x' })));
    expect([error.name, error.$metadata.httpStatusCode, error.message, error.Code]).toEqual(['AccessDenied', 403, message, 'AccessDenied']);
  });

  it('SNS: AuthorizationError, 403', async () => {
    const message = accessDeniedMessage('sns', SESSION, 'sns:Publish', 'arn:aws:sns:us-east-1:000000000000:t', { kind: 'implicit' });
    capture.answer = accessDenied('sns', message);
    const error = await errorOf(() => new SNSClient(config).send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' })));
    expect(error).toBeInstanceOf(AuthorizationErrorException);
    expect([error.name, error.$metadata.httpStatusCode, error.message]).toEqual(['AuthorizationErrorException', 403, message]);
  });

  it('@connections: AccessDeniedException, 403', async () => {
    const message = accessDeniedMessage('execute-api', SESSION, 'execute-api:ManageConnections', 'arn:aws:execute-api:us-east-1:000000000000:local/prod/POST/@connections/c', { kind: 'implicit' });
    capture.answer = accessDenied('execute-api', message);
    const client = new ApiGatewayManagementApiClient({ ...config, endpoint: `${capture.endpoint}/prod` });
    const error = await errorOf(() => client.send(new PostToConnectionCommand({ ConnectionId: 'c', Data: 'x' })));
    expect([error.name, error.$metadata.httpStatusCode, error.message]).toEqual(['AccessDeniedException', 403, message]);
  });

  it.each([
    ['dynamodb', () => new DynamoDBClient(config).send(new PutItemCommand({ TableName: 'T', Item: { pk: { S: 'a' } } })), 'UnrecognizedClientException', 400],
    ['sqs', () => new SQSClient(config).send(new SendMessageCommand({ QueueUrl: `${capture.endpoint}/000000000000/q`, MessageBody: 'x' })), 'InvalidClientTokenId', 403],
    ['sns', () => new SNSClient(config).send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' })), 'InvalidClientTokenId', 403],
    ['execute-api', () => new ApiGatewayManagementApiClient({ ...config, endpoint: `${capture.endpoint}/prod` }).send(new PostToConnectionCommand({ ConnectionId: 'c', Data: 'x' })), 'UnrecognizedClientException', 403],
  ] as const)('%s: an unknown access key is an invalid security token', async (service, send, name, status) => {
    capture.answer = invalidAccessKey(service);
    const error = await errorOf(send);
    expect([error.name, error.$metadata.httpStatusCode, error.message]).toEqual([name, status, 'The security token included in the request is invalid.']);
  });
});
