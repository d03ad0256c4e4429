import { Template } from 'aws-cdk-lib/assertions';
import { ConnectionRegistry } from '../../lib/constructs/connection-registry';
import { ChatStore } from '../../lib/constructs/chat-store';
import { Presence } from '../../lib/constructs/presence';
import { UserSettings } from '../../lib/constructs/user-settings';
import { WebSocketGateway } from '../../lib/constructs/websocket-gateway';
import { actions, functionBaseline, grantee, logicalIdOf, managementApiArn, permissionsOf, resource, stubFunction, testStack, withActionsOnAnyResource } from './template';

function synthPresence() {
  const stack = testStack();
  const connections = new ConnectionRegistry(stack, 'Connections');
  const gateway = new WebSocketGateway(stack, 'Gateway', {
    tokenIssuer: { issuerUrl: 'https://issuer.example', jwksUri: 'https://issuer.example/jwks.json', audience: 'client' },
    connectHandler: stubFunction(stack, 'Connect'),
    disconnectHandler: stubFunction(stack, 'Disconnect'),
    defaultHandler: stubFunction(stack, 'Default'),
  });
  const [chat, settings] = [new ChatStore(stack, 'Chat'), new UserSettings(stack, 'Settings')];
  const presence = new Presence(stack, 'Presence', { connections, gateway, chat, settings });
  return { stack, connections, gateway, presence, chat, settings, get template() { return Template.fromStack(stack); } };
}

describe('Presence', () => {
  it('keeps statuses by user in a recoverable table kept when the stack goes', () => {
    const { stack, presence, template } = synthPresence();
    expect(template.toJSON().Resources[logicalIdOf(stack, presence.statusTable)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('keeps subscriptions, expiring, under the watched user with an index by subscriber, dropped with the stack', () => {
    const { stack, presence, template } = synthPresence();
    expect(template.toJSON().Resources[logicalIdOf(stack, presence.subscriptionsTable)]).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: {
        KeySchema: [
          { AttributeName: 'watchedUserId', KeyType: 'HASH' },
          { AttributeName: 'connectionId', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          { IndexName: 'bySubscriber', KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        ],
      },
    });
  });

  it('feeds openings and closings (not refreshes) to the changes function, failures to an alarmed dead-letter queue', () => {
    const { stack, connections, presence, template } = synthPresence();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, connections.table), 'StreamArn'] },
      FunctionName: { Ref: logicalIdOf(stack, presence.changesFunction) },
      StartingPosition: 'LATEST',
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'REMOVE'] }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack, presence.deadLetterQueue.queue), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, presence.deadLetterQueue.queue), 'QueueName'] } }],
      Threshold: 0,
    });
  });

  it('tells the changes function its tables, the connections table and the gateway', () => {
    const { stack, connections, gateway, presence, template } = synthPresence();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          ...stack.resolve({ ...presence.environment, ...gateway.connectionsEnvironment, CONNECTIONS_TABLE: connections.table.tableName }),
         
          POWERTOOLS_SERVICE_NAME: 'messenger',
          POWERTOOLS_METRICS_NAMESPACE: 'Messenger',
        },
      },
    });
  });

  it('lets the changes function read the stream, find connections, flip statuses, find who may see whom, end subscriptions and post to connections, and nothing else', () => {
    const { stack, connections, gateway, presence, chat, settings } = synthPresence();
    const subscriptions = presence.subscriptionsTable.tableArn;
    expect(permissionsOf(stack, presence.changesFunction.role!)).toEqual({
      ...withActionsOnAnyResource(functionBaseline(stack, presence.changesFunction), 'dynamodb:ListStreams'),
      [resource(stack, connections.table.tableStreamArn!)]: actions('dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'),
      [resource(stack, connections.table.tableArn)]: actions('dynamodb:Query'),
      [resource(stack, presence.statusTable.tableArn)]: actions('dynamodb:UpdateItem'),
      [resource(stack, subscriptions)]: actions('dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'),
      [resource(stack, `${subscriptions}/index/bySubscriber`)]: actions('dynamodb:Query'),
      [resource(stack, chat.threads.tableArn)]: actions('dynamodb:Query', 'dynamodb:BatchGetItem'),
      [resource(stack, chat.userThreads.tableArn)]: actions('dynamodb:Query'),
      [resource(stack, settings.table.tableArn)]: actions('dynamodb:BatchGetItem'),
      [managementApiArn(stack, gateway, 'POST/@connections/*')]: actions('execute-api:ManageConnections'),
      [resource(stack, presence.deadLetterQueue.queue.queueArn)]: actions('sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
    });
  });

  it('grantSubscribe allows checking and writing watch lists and subscriptions, finding subscribers, and reading statuses, and nothing else', () => {
    const { stack, presence } = synthPresence();
    const role = grantee(stack);
    presence.grantSubscribe(role);
    const subscriptions = presence.subscriptionsTable.tableArn;
    expect(permissionsOf(stack, role)).toEqual({
      [resource(stack, subscriptions)]: actions('dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'),
      [resource(stack, `${subscriptions}/index/bySubscriber`)]: actions('dynamodb:Query'),
      [resource(stack, presence.statusTable.tableArn)]: actions('dynamodb:BatchGetItem'),
    });
  });
});
