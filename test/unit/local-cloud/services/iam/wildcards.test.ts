import { actionMatches, arnMatches, wildcardPattern } from '../../../../../local-cloud/services/iam/wildcards';

describe('IAM wildcards', () => {
  it('compiles each pattern once per case, and the shared expression answers every check alike', () => {
    expect(wildcardPattern('dynamodb:Get*')).toBe(wildcardPattern('dynamodb:Get*'));
    expect(wildcardPattern('dynamodb:Get*', true)).not.toBe(wildcardPattern('dynamodb:Get*'));
    for (let i = 0; i < 3; i++) {
      expect(actionMatches('DynamoDB:get*', 'dynamodb:GetItem')).toBe(true);
      expect(actionMatches('dynamodb:Get?tem', 'dynamodb:PutItem')).toBe(false);
      expect(arnMatches('arn:aws:dynamodb:*:*:table/Threads*', 'arn:aws:dynamodb:us-east-1:000000000000:table/Threads/index/byActivity')).toBe(true);
      expect(arnMatches('arn:aws:dynamodb:*:*:table/Threads', 'arn:aws:dynamodb:us-east-1:000000000000:table/Threads/stream/x')).toBe(false);
    }
  });
});
