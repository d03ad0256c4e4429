import { evaluate, loadPolicy, UnsupportedPolicyError, type PolicyDocument, type RequestContext } from '../../../../../local-cloud/services/iam/policy';

const context: RequestContext = {
  principalArn: 'arn:aws:iam::000000000000:role/Fn',
  sessionArn: 'arn:aws:sts::000000000000:assumed-role/Fn/fn',
  account: '000000000000',
  region: 'us-east-1',
  secureTransport: true,
};
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/Chat';
const identity = (document: PolicyDocument) => loadPolicy('test', 'identity', document);
const allowed = (document: PolicyDocument, action: string, resource: string, requestContext = context) =>
  evaluate([identity(document)], action, resource, requestContext).allowed;

describe('IAM policy evaluation', () => {
  it('allows only what a statement allows: implicit deny otherwise', () => {
    const policy = { Statement: [{ Effect: 'Allow' as const, Action: 'dynamodb:PutItem', Resource: TABLE }] };
    expect(allowed(policy, 'dynamodb:PutItem', TABLE)).toBe(true);
    expect(allowed(policy, 'dynamodb:DeleteItem', TABLE)).toBe(false);
    expect(allowed(policy, 'dynamodb:PutItem', `${TABLE}2`)).toBe(false);
    expect(evaluate([identity(policy)], 'dynamodb:GetItem', TABLE, context)).toEqual({ allowed: false, reason: 'implicit' });
  });

  it('lets an explicit Deny win over any Allow, in whichever policy it is', () => {
    const allow = identity({ Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] });
    const deny = identity({ Statement: [{ Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: TABLE }] });
    expect(evaluate([allow, deny], 'dynamodb:DeleteItem', TABLE, context)).toEqual({ allowed: false, reason: 'explicit', policyKind: 'identity' });
    expect(evaluate([deny, allow], 'dynamodb:PutItem', TABLE, context).allowed).toBe(true);
  });

  it('matches actions case-insensitively with * and ?', () => {
    const policy = { Statement: [{ Effect: 'Allow' as const, Action: ['DynamoDB:get*', 'sqs:?endMessage'], Resource: '*' }] };
    expect(allowed(policy, 'dynamodb:GetItem', TABLE)).toBe(true);
    expect(allowed(policy, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q')).toBe(true);
    expect(allowed(policy, 'sqs:ReceiveMessage', 'arn:aws:sqs:us-east-1:000000000000:q')).toBe(false);
    expect(allowed(policy, 'dynamodb:BatchGetItem', TABLE)).toBe(false);
  });

  it('matches resource ARNs part by part, case-sensitively, with * and ?', () => {
    const policy = { Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: [`${TABLE}/index/*`, 'arn:aws:sqs:*:000000000000:q?'] }] };
    expect(allowed(policy, 'dynamodb:Query', `${TABLE}/index/byActivity`)).toBe(true);
    expect(allowed(policy, 'dynamodb:Query', TABLE)).toBe(false);
    expect(allowed(policy, 'dynamodb:Query', TABLE.replace('Chat', 'chat') + '/index/x')).toBe(false);
    expect(allowed(policy, 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:000000000000:q1')).toBe(true);
    expect(allowed(policy, 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:000000000000:q12')).toBe(false);
    // A wildcard in one part does not reach across a colon into the next.
    expect(allowed({ Statement: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:sqs:us-east-1*:q' }] }, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q')).toBe(false);
  });

  it('reads NotAction and NotResource as everything but the listed', () => {
    const policy = {
      Statement: [
        { Effect: 'Allow' as const, NotAction: 'dynamodb:DeleteItem', Resource: TABLE },
        { Effect: 'Allow' as const, Action: 'sqs:*', NotResource: 'arn:aws:sqs:us-east-1:000000000000:secret' },
      ],
    };
    expect(allowed(policy, 'dynamodb:PutItem', TABLE)).toBe(true);
    expect(allowed(policy, 'dynamodb:DeleteItem', TABLE)).toBe(false);
    expect(allowed(policy, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:open')).toBe(true);
    expect(allowed(policy, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:secret')).toBe(false);
  });

  it('evaluates the conditions it supports, a missing key failing positive operators and passing negated ones', () => {
    const denyPlainHttp = { Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*' }, { Effect: 'Deny' as const, Action: 'sqs:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] };
    expect(allowed(denyPlainHttp, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q')).toBe(true);
    expect(allowed(denyPlainHttp, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q', { ...context, secureTransport: false })).toBe(false);

    const fromTopic = (operator: string) => ({
      Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*', Condition: { [operator]: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:000000000000:*' } } }],
    });
    expect(allowed(fromTopic('ArnLike'), 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q')).toBe(false);
    expect(allowed(fromTopic('ArnLike'), 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q', { ...context, sourceArn: 'arn:aws:sns:us-east-1:000000000000:t' })).toBe(true);
    expect(allowed(fromTopic('ArnLikeIfExists'), 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q')).toBe(true);
    expect(allowed(fromTopic('ArnNotLike'), 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q')).toBe(true);
    expect(allowed(fromTopic('ArnNotLike'), 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q', { ...context, sourceArn: 'arn:aws:sns:us-east-1:000000000000:t' })).toBe(false);

    const region = (operator: string, value: string | string[]) => ({ Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*', Condition: { [operator]: { 'AWS:RequestedRegion': value } } }] });
    expect(allowed(region('StringEquals', ['eu-west-1', 'us-east-1']), 'sqs:SendMessage', '*')).toBe(true);
    expect(allowed(region('StringNotEquals', ['eu-west-1', 'us-east-1']), 'sqs:SendMessage', '*')).toBe(false);
    expect(allowed(region('StringLike', 'us-*'), 'sqs:SendMessage', '*')).toBe(true);
    expect(allowed(region('StringEqualsIgnoreCase', 'US-EAST-1'), 'sqs:SendMessage', '*')).toBe(true);
    expect(allowed({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Null: { 'aws:SourceArn': 'true' } } }] }, 'sqs:SendMessage', '*')).toBe(true);
  });

  it.each([
    [{ StringEquals: { 'dynamodb:LeadingKeys': 'x' } }, /condition key dynamodb:LeadingKeys/],
    [{ 'ForAllValues:StringEquals': { 'aws:RequestedRegion': 'x' } }, /set operators/],
    [{ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } }, /operator DateGreaterThan is not supported/],
    [{ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } }, /unresolved value/],
  ])('refuses, at load, a condition it does not understand: %j', (condition, message) => {
    const load = () => identity({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: condition as never }] });
    expect(load).toThrow(UnsupportedPolicyError);
    expect(load).toThrow(message);
  });

  it('refuses statements it cannot read', () => {
    expect(() => identity({ Statement: [{ Effect: 'Allow', Resource: '*' }] })).toThrow(/exactly one of Action and NotAction/);
    expect(() => identity({ Statement: [{ Effect: 'Allow', Action: '*' }] })).toThrow(/exactly one of Resource and NotResource/);
    expect(() => identity({ Statement: [{ Effect: 'Allow', Action: '*', Resource: { 'Fn::GetAtt': ['X', 'Arn'] } as never }] })).toThrow(/unresolved/);
    expect(() => identity({ Statement: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:dynamodb:*:*:table/${aws:username}' }] })).toThrow(/policy variables/);
    expect(() => loadPolicy('q', 'resource', { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', NotPrincipal: { AWS: '*' } }] })).toThrow(/NotPrincipal/);
  });

  it('applies a resource policy statement only to the principals it names', () => {
    const queue = 'arn:aws:sqs:us-east-1:000000000000:q';
    const forService = loadPolicy('q', 'resource', { Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queue }] });
    const forEveryone = loadPolicy('q', 'resource', { Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:*', Resource: queue }] });
    const allowAll = identity({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    expect(evaluate([forService], 'sqs:SendMessage', queue, context).allowed).toBe(false);
    expect(evaluate([allowAll, forEveryone], 'sqs:SendMessage', queue, context)).toEqual({ allowed: false, reason: 'explicit', policyKind: 'resource' });
  });
});
