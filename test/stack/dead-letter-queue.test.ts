import { Match, Template } from 'aws-cdk-lib/assertions';
import { DeadLetterQueue } from '../../lib/constructs/dead-letter-queue';
import { logicalIdOf, testStack } from './template';

describe('DeadLetterQueue', () => {
  const stack = testStack();
  const deadLetters = new DeadLetterQueue(stack, 'DeadLetters', { alarmDescription: 'what to do' });
  const template = Template.fromStack(stack);
  const queueId = logicalIdOf(stack, deadLetters.queue);

  it('keeps messages 14 days, encrypted, and refuses plain-HTTP access', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('is in alarm, with the given description, while any message waits', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'what to do',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Period: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});
