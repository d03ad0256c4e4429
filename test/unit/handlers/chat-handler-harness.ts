import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambdas/handlers/chat';
import { lambdaContext, messageEvent } from '../../support/lambda-events';

/**
 * The chat handler with its AWS clients mocked, as alice on `alice-conn=`: every call succeeds
 * with nothing in it unless a test says otherwise.
 */
export function chatHandlerHarness() {
  const dynamodb = mockClient(DynamoDBDocumentClient);
  const sqs = mockClient(SQSClient);
  const gateway = mockClient(ApiGatewayManagementApiClient);
  const sns = mockClient(SNSClient);

  beforeEach(() => {
    dynamodb.reset();
    sqs.reset();
    gateway.reset();
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'p-1' });
    dynamodb.on(UpdateCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({});
    gateway.on(PostToConnectionCommand).resolves({});
  });

  /** Sends a frame (from alice unless said otherwise); returns the route response's frame, if any. */
  const invoke = async (frame: object, userId = 'alice') => {
    const result = await handler(messageEvent(JSON.stringify(frame), userId, `${userId}-conn=`) as never, lambdaContext);
    return result.body ? (JSON.parse(result.body) as Record<string, unknown>) : undefined;
  };

  /** The frames posted to a connection, in order. */
  const postsTo = (connectionId: string) =>
    gateway
      .commandCalls(PostToConnectionCommand)
      .filter((call) => call.args[0].input.ConnectionId === connectionId)
      .map((call) => JSON.parse(String(call.args[0].input.Data)) as Record<string, unknown>);

  return { dynamodb, sqs, gateway, sns, invoke, postsTo };
}
