import { Template } from 'aws-cdk-lib/assertions';
import { MessengerStack } from '../../lib/messenger-stack';
import { actions, functionBaseline, logicalIdOf, managementApiArn, permissionsOf, resource, testApp, withActionsOnAnyResource } from './template';

/** The whole stack: the relay is wired to the chat store, the pipeline, the connections, the gateway and push. */
function synthStack() {
  const stack = new MessengerStack(testApp(), 'Messenger');
  return { stack, relay: stack.relay, template: Template.fromStack(stack) };
}

describe('MessageRelay', () => {
  it("relays the threads table's stream, staged messages and their marks only, a second's batches of up to 100, ten at once per shard, retrying until records expire, then to an alarmed dead-letter queue", () => {
    const { stack, relay, template } = synthStack();
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, stack.chat.threads), 'StreamArn'] } },
    });
    expect(Object.values(mappings).map((mapping) => mapping.Properties)).toEqual([
      {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, stack.chat.threads), 'StreamArn'] },
        FunctionName: { Ref: logicalIdOf(stack, relay.relayFunction) },
        StartingPosition: 'LATEST',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        ParallelizationFactor: 10,
        MaximumRetryAttempts: -1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: {
          Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: [{ prefix: 'msg#' }] } } } }) }],
        },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack, relay.deadLetterQueue.queue), 'Arn'] } } },
      },
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, relay.deadLetterQueue.queue), 'QueueName'] } }],
    });
  });

  it('tells the relay the tables, the queue, the gateway and the push topic, and gives it time for a big group’s lease', () => {
    const { stack, relay, template } = synthStack();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 60,
      Environment: {
        Variables: {
          ...stack.resolve(stack.chat.environment),
          ...stack.resolve(stack.gateway.connectionsEnvironment),
          CONNECTIONS_TABLE: stack.resolve(stack.connections.table.tableName),
          MESSAGE_QUEUE_URL: stack.resolve(stack.messagePipeline.queue.queueUrl),
          PUSH_TOPIC_ARN: stack.resolve(stack.push.topic.topicArn),
         
          POWERTOOLS_SERVICE_NAME: 'messenger',
          POWERTOOLS_METRICS_NAMESPACE: 'Messenger',
        },
      },
    });
    expect(stack.resolve(relay.relayFunction.runtime.name)).toBe('nodejs24.x');
  });

  it('lets the relay read the stream, members and staged copies, mark copies, move thread rows, queue history, deliver and push, and nothing else', () => {
    const { stack, relay } = synthStack();
    const { chat, connections, messagePipeline, push, gateway } = stack;
    expect(permissionsOf(stack, relay.relayFunction.role!)).toEqual({
      ...withActionsOnAnyResource(functionBaseline(stack, relay.relayFunction), 'dynamodb:ListStreams'),
      [resource(stack, chat.threads.tableStreamArn!)]: actions('dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'),
      [resource(stack, chat.threads.tableArn)]: actions('dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'),
      [resource(stack, chat.userThreads.tableArn)]: actions('dynamodb:UpdateItem'),
      [resource(stack, connections.table.tableArn)]: actions('dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'),
      [resource(stack, messagePipeline.queue.queueArn)]: actions('sqs:SendMessage'),
      [resource(stack, push.topic.topicArn)]: actions('sns:Publish'),
      [managementApiArn(stack, gateway, 'POST/@connections/*')]: actions('execute-api:ManageConnections'),
      [resource(stack, relay.deadLetterQueue.queue.queueArn)]: actions('sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
    });
  });

  it('lets the persistence function release staged copies, knowing the threads table', () => {
    const { stack, template } = synthStack();
    const persist = stack.messagePipeline.persistFunction;
    expect(permissionsOf(stack, persist.role!)).toMatchObject({ [resource(stack, stack.chat.threads.tableArn)]: actions('dynamodb:BatchWriteItem') });
    const fn = template.toJSON().Resources[logicalIdOf(stack, persist)];
    expect(fn.Properties.Environment.Variables.THREADS_TABLE).toEqual(stack.resolve(stack.chat.threads.tableName));
  });
});
