import { ArnFormat, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { MessengerFunction } from '../../lib/constructs/messenger-function';
import { actions, logicalIdOf, permissionsOf, resource, testStack } from './template';

function synthFunction(props: Partial<ConstructorParameters<typeof MessengerFunction>[2]> = {}) {
  const stack = testStack();
  const fn = new MessengerFunction(stack, 'Fn', { handler: 'default', ...props });
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('MessengerFunction', () => {
  it('runs Node.js 24 on arm64 without --enable-source-maps (stacks are mapped on the first error), JSON logs into its own group, tracing and Powertools settings', () => {
    const { stack, fn, template } = synthFunction();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 128,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalIdOf(stack, fn.logGroup) } },
      Environment: {
        Variables: { NODE_OPTIONS: Match.absent(), POWERTOOLS_SERVICE_NAME: 'messenger', POWERTOOLS_METRICS_NAMESPACE: 'Messenger' },
      },
    });
  });

  it('takes memory, timeout and environment from its props, beside the shared settings', () => {
    synthFunction({ memorySize: 256, timeout: Duration.seconds(30), environment: { TABLE: 'x' } }).template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 256,
      Timeout: 30,
      Environment: { Variables: Match.objectLike({ TABLE: 'x', POWERTOOLS_SERVICE_NAME: 'messenger' }) },
    });
  });

  it('logs to a group of bounded retention that goes with the stack', () => {
    synthFunction().template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Delete',
    });
    synthFunction({ logRetention: RetentionDays.ONE_WEEK }).template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('may write traces and to its own log group, and nothing else until granted', () => {
    const { stack, fn } = synthFunction();
    expect(permissionsOf(stack, fn.role!)).toEqual({
      '"*"': actions('xray:PutTraceSegments', 'xray:PutTelemetryRecords'),
      [resource(stack, fn.logGroup.logGroupArn)]: actions('logs:CreateLogStream', 'logs:PutLogEvents'),
      [resource(stack, stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: fn.logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }))]: actions('logs:CreateLogStream', 'logs:PutLogEvents'),
    });
  });

  it('has a role of its own without managed policies (no logs:CreateLogGroup on every log group)', () => {
    const { stack, fn, template } = synthFunction();
    const roleId = logicalIdOf(stack, fn.role!);
    template.hasResourceProperties('AWS::Lambda::Function', { Role: { 'Fn::GetAtt': [roleId, 'Arn'] } });
    expect(template.toJSON().Resources[roleId].Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        Version: '2012-10-17',
      },
      Description: 'Runs the default function',
    });
  });
});
