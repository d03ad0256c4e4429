import { lambdaWithoutRuntime } from '../lambda-without-runtime';
import { InvocationRefused } from '../../../../local-cloud/services/lambda/lambda-service';
import { IntrinsicResolver } from '../../../../local-cloud/assembly/intrinsics';
import { methodArn } from '../../../../local-cloud/services/apigateway/lambda-events';
import {
  arnLike,
  EVENT_SOURCE_MAPPING,
  invokePermissionOf,
  OPERATOR,
  permits,
  serviceInvoker,
  type InvokePermission,
} from '../../../../local-cloud/services/lambda/resource-policy';
import { fixture } from '../fixtures';

const ACCOUNT = '000000000000';
const arnOf = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${ACCOUNT}:${resource}`;
const stage = { apiId: 'local', stage: 'prod', region: 'us-east-1', accountId: ACCOUNT, domainName: '127.0.0.1:8080' };
const TOPIC_ARN = arnOf('sns', 'Messenger-PushTopic4A572520');
const RULE_ARN = arnOf('events', 'rule/Messenger-ConnectionsSweepScheduleC67B14F7');
const AUTHORIZER_ARN = arnOf('execute-api', 'local/authorizers/GatewayApiTokenAuthorizerBE72818A');

/** The synthesized template's permissions, resolved as the local cloud resolves them, by the function they are on. */
function templatePermissions(): Map<string, InvokePermission[]> {
  const resolver = new IntrinsicResolver({ region: 'us-east-1', accountId: ACCOUNT, partition: 'aws', urlSuffix: 'amazonaws.com', stackName: 'Messenger' });
  const functionIds = ['ConnectionsStaleConnectionSweeper404D4451', 'Connect5B7625CA', 'GatewayAuthorizerB1F38BA7', 'Disconnect7D6B12BD', 'ChatActions7798E1BA', 'PushSendE338DEB8'];
  for (const id of functionIds) resolver.define(id, { ref: `Messenger-${id}`, attributes: { Arn: arnOf('lambda', `function:Messenger-${id}`) } });
  resolver.define('GatewayApi4EDF2151', { ref: 'local', attributes: {} });
  resolver.define('GatewayApiTokenAuthorizerBE72818A', { ref: 'GatewayApiTokenAuthorizerBE72818A', attributes: {} });
  resolver.define('PushTopic4A572520', { ref: TOPIC_ARN, attributes: {} });
  resolver.define('ConnectionsSweepScheduleC67B14F7', { ref: 'Messenger-ConnectionsSweepScheduleC67B14F7', attributes: { Arn: RULE_ARN } });

  const byFunction = new Map<string, InvokePermission[]>();
  for (const [logicalId, resource] of Object.entries(fixture<Record<string, { Properties: unknown }>>('lambda-permissions'))) {
    const { functionRef, permission } = invokePermissionOf(logicalId, resolver.resolve(resource.Properties) as Parameters<typeof invokePermissionOf>[1]);
    const name = functionRef.split(':function:Messenger-')[1];
    byFunction.set(name, [...(byFunction.get(name) ?? []), permission!]);
  }
  return byFunction;
}

describe("Lambda's resource policies, from the synthesized template's AWS::Lambda::Permission resources", () => {
  const policies = templatePermissions();
  const policyOf = (functionId: string) => policies.get(functionId) ?? [];
  const gateway = (sourceArn: string) => serviceInvoker('apigateway.amazonaws.com', sourceArn, ACCOUNT);

  it('let each source in to its own function: routes, the authorizer, the push topic, the sweep schedule', () => {
    expect(permits(policyOf('Connect5B7625CA'), gateway(methodArn(stage, '$connect')))).toBe(true);
    expect(permits(policyOf('Disconnect7D6B12BD'), gateway(methodArn(stage, '$disconnect')))).toBe(true);
    expect(permits(policyOf('ChatActions7798E1BA'), gateway(methodArn(stage, 'sendMessage')))).toBe(true);
    expect(permits(policyOf('GatewayAuthorizerB1F38BA7'), gateway(AUTHORIZER_ARN))).toBe(true);
    expect(permits(policyOf('PushSendE338DEB8'), serviceInvoker('sns.amazonaws.com', TOPIC_ARN, ACCOUNT))).toBe(true);
    expect(permits(policyOf('ConnectionsStaleConnectionSweeper404D4451'), serviceInvoker('events.amazonaws.com', RULE_ARN, ACCOUNT))).toBe(true);
  });

  it('keep out another route, another service, another topic or API, and a function without a permission', () => {
    expect(permits(policyOf('Connect5B7625CA'), gateway(methodArn(stage, 'sendMessage')))).toBe(false);
    expect(permits(policyOf('ChatActions7798E1BA'), gateway(methodArn(stage, '$connect')))).toBe(false);
    expect(permits(policyOf('ChatActions7798E1BA'), gateway(methodArn({ ...stage, apiId: 'other' }, 'sendMessage')))).toBe(false);
    expect(permits(policyOf('Connect5B7625CA'), gateway(AUTHORIZER_ARN))).toBe(false);
    expect(permits(policyOf('PushSendE338DEB8'), serviceInvoker('sns.amazonaws.com', arnOf('sns', 'another-topic'), ACCOUNT))).toBe(false);
    expect(permits(policyOf('PushSendE338DEB8'), serviceInvoker('events.amazonaws.com', TOPIC_ARN, ACCOUNT))).toBe(false);
    expect(permits(policyOf('PushSendE338DEB8'), gateway(methodArn(stage, 'sendMessage')))).toBe(false);
    expect(permits(policyOf('GetMessagesEBEDDDD2'), gateway(methodArn(stage, 'getMessages')))).toBe(false);
  });

  it('need no statement for event source mappings (the execution role) or the operator', () => {
    expect(permits([], EVENT_SOURCE_MAPPING)).toBe(true);
    expect(permits([], OPERATOR)).toBe(true);
  });

  it('check SourceAccount when a permission names one', () => {
    const permission = { logicalId: 'P', principal: 'sns.amazonaws.com', sourceArn: TOPIC_ARN, sourceAccount: ACCOUNT };
    expect(permits([permission], serviceInvoker('sns.amazonaws.com', TOPIC_ARN, ACCOUNT))).toBe(true);
    expect(permits([permission], serviceInvoker('sns.amazonaws.com', TOPIC_ARN, '111111111111'))).toBe(false);
  });

  it('refuse what the local cloud cannot honour instead of ignoring it', () => {
    expect(() => invokePermissionOf('P', { Action: 'lambda:InvokeFunction', FunctionName: 'f', Principal: 'alexa-appkit.amazon.com', EventSourceToken: 't' })).toThrow(
      /EventSourceToken/,
    );
  });
});

describe('ArnLike, as Lambda compares a source ARN', () => {
  it.each([
    ['arn:aws:execute-api:us-east-1:000000000000:local/*$connect', 'arn:aws:execute-api:us-east-1:000000000000:local/prod/$connect', true],
    ['arn:aws:execute-api:us-east-1:000000000000:local/*$connect', 'arn:aws:execute-api:us-east-1:000000000000:local/prod/$disconnect', false],
    ['arn:aws:sns:us-east-1:000000000000:topic-?', 'arn:aws:sns:us-east-1:000000000000:topic-a', true],
    ['arn:aws:sns:us-east-1:000000000000:topic-?', 'arn:aws:sns:us-east-1:000000000000:topic-ab', false],
    // A wildcard stays inside its part: `*` in the region does not swallow the account.
    ['arn:aws:sns:*:topic', 'arn:aws:sns:us-east-1:000000000000:topic', false],
    ['arn:aws:sns:*:000000000000:topic', 'arn:aws:sns:us-east-1:000000000000:topic', true],
    ['arn:aws:lambda:us-east-1:000000000000:function:*', 'arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST', true],
  ])('%s against %s: %s', (pattern, arn, expected) => {
    expect(arnLike(pattern, arn)).toBe(expected);
  });
});

describe('the local Lambda service', () => {
  const lambda = lambdaWithoutRuntime('lambda-policy-');
  lambda.register({
    logicalId: 'PushSendE338DEB8',
    functionName: 'Messenger-PushSendE338DEB8',
    functionArn: arnOf('lambda', 'function:Messenger-PushSendE338DEB8'),
    assetDirectory: '/nonexistent',
    handler: 'index.handler',
    timeoutSeconds: 3,
    memoryMb: 128,
    environment: {},
  });
  afterAll(() => lambda.stop());

  it('refuses SNS on a function whose template has no permission for it, synchronously or not, with AccessDeniedException', async () => {
    const sns = serviceInvoker('sns.amazonaws.com', TOPIC_ARN, ACCOUNT);
    await expect(lambda.invokeAsync('PushSendE338DEB8', {}, sns)).rejects.toMatchObject({ code: 'AccessDeniedException', status: 403 });
    await expect(lambda.invoke('PushSendE338DEB8', {}, sns)).rejects.toBeInstanceOf(InvocationRefused);
    expect(lambda.asyncCounts()).toEqual({});
  });

  it('answers ResourceNotFoundException for a function it does not have', async () => {
    await expect(lambda.invokeAsync('Missing', {}, OPERATOR)).rejects.toMatchObject({ code: 'ResourceNotFoundException', status: 404 });
  });

  it('starts no execution environment once stopped, so an asynchronous retry due at shutdown leaves no process behind', async () => {
    await lambda.stop();
    await expect(lambda.invoke('PushSendE338DEB8', {}, OPERATOR)).rejects.toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: 'the local cloud is stopping' });
  });
});
