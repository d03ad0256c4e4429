import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { MessengerFunction } from '../../lib/constructs/messenger-function';
import { actions, logicalIdOf, permissionsOf, testStack } from './template';

function synthFunction(props: Partial<ConstructorParameters<typeof MessengerFunction>[2]> = {}) {
  const stack = testStack();
  const fn = new MessengerFunction(stack, 'Fn', { handler: 'default', ...props });
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('MessengerFunction', () => {
  it('runs Node.js 22 on arm64 with source maps, JSON logs into its own group, tracing and Powertools settings', () => {
    const { stack, fn, template } = synthFunction();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 128,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalIdOf(stack, fn.logGroup) } },
      Environment: {
        Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'messenger', POWERTOOLS_METRICS_NAMESPACE: 'Messenger' },
      },
    });
  });

  it('takes memory, timeout and environment from its props, beside the shared settings', () => {
    synthFunction({ memorySize: 256, timeout: Duration.seconds(30), environment: { TABLE: 'x' } }).template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 256,
      Timeout: 30,
      Environment: { Variables: Match.objectLike({ TABLE: 'x', NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  it('logs to a group of bounded retention that goes with the stack', () => {
    synthFunction().template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Delete',
    });
    synthFunction({ logRetention: RetentionDays.ONE_WEEK }).template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('may write traces, and nothing else until granted', () => {
    const { stack, fn } = synthFunction();
    expect(permissionsOf(stack, fn.role!)).toEqual({ '"*"': actions('xray:PutTraceSegments', 'xray:PutTelemetryRecords') });
  });
});
