import { Template } from 'aws-cdk-lib/assertions';
import { HistoryStore } from '../../lib/constructs/history-store';
import { MessagePipeline } from '../../lib/constructs/message-pipeline';
import { actions, functionBaseline, grantee, keyspacesArn, logicalIdOf, permissionsOf, resource, testStack } from './template';

function synthPipeline(props: { maxReceiveCount?: number } = {}) {
  const stack = testStack();
  const history = new HistoryStore(stack, 'History');
  const pipeline = new MessagePipeline(stack, 'Pipeline', { history, ...props });
  return { stack, history, pipeline, get template() { return Template.fromStack(stack); } };
}

describe('MessagePipeline', () => {
  it('queues messages encrypted, over TLS only, moving one that fails five times to the dead-letter queue', () => {
    const { stack, pipeline, template } = synthPipeline();
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 4 * 24 * 3600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack, pipeline.deadLetterQueue), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', { Queues: [{ Ref: logicalIdOf(stack, pipeline.queue) }] });
  });

  it('takes the receive count before dead-lettering from its props', () => {
    synthPipeline({ maxReceiveCount: 3 }).template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { maxReceiveCount: 3 } });
  });

  it('feeds the persistence function batches of up to 100, reporting partial failures', () => {
    const { stack, pipeline, template } = synthPipeline();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, pipeline.queue), 'Arn'] },
      FunctionName: { Ref: logicalIdOf(stack, pipeline.persistFunction) },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('keeps messages invisible six times as long as the function may run', () => {
    const { stack, pipeline, template } = synthPipeline();
    const queue = template.toJSON().Resources[logicalIdOf(stack, pipeline.queue)];
    const persist = template.toJSON().Resources[logicalIdOf(stack, pipeline.persistFunction)];
    expect(queue.Properties.VisibilityTimeout).toBe(6 * persist.Properties.Timeout);
  });

  it('tells the persistence function where history is', () => {
    const { history, template } = synthPipeline();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { ...history.environment, POWERTOOLS_SERVICE_NAME: 'messenger', POWERTOOLS_METRICS_NAMESPACE: 'Messenger' } },
    });
  });

  it('alarms while messages wait in the dead-letter queue', () => {
    const { stack, pipeline, template } = synthPipeline();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, pipeline.deadLetterQueue), 'QueueName'] } }],
    });
    expect(pipeline.deadLetterAlarm).toBeDefined();
  });

  it('lets the persistence function consume the queue and write history, and nothing else', () => {
    const { stack, pipeline } = synthPipeline();
    const granted = permissionsOf(stack, pipeline.persistFunction.role!);
    expect(granted).toEqual({
      ...functionBaseline(stack, pipeline.persistFunction),
      [resource(stack, pipeline.queue.queueArn)]: actions(
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueUrl',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
      ),
      [keyspacesArn('test/table/messages')]: actions('cassandra:Modify'),
      [keyspacesArn('system*')]: actions('cassandra:Select'),
    });
  });

  it('lets an enqueuer send messages to the queue, and nothing else', () => {
    const { stack, pipeline } = synthPipeline();
    const sender = grantee(stack);
    pipeline.grantEnqueue(sender);
    expect(permissionsOf(stack, sender)).toEqual({
      [resource(stack, pipeline.queue.queueArn)]: actions('sqs:SendMessage'),
    });
  });
});
