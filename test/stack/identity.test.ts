import { Match, Template } from 'aws-cdk-lib/assertions';
import { Identity } from '../../lib/constructs/identity';
import { logicalIdOf, resource, testStack } from './template';

describe('Identity', () => {
  it('creates a user pool without self sign-up, kept and protected from deletion, with an SRP client', () => {
    const stack = testStack();
    new Identity(stack, 'Identity');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeletionProtection: 'ACTIVE',
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      }),
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH']),
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it("trusts the pool's ID tokens: its issuer, its keys and its client as audience", () => {
    const stack = testStack();
    const identity = new Identity(stack, 'Identity');
    const poolId = logicalIdOf(stack, identity.userPool);
    expect(stack.resolve(identity.tokenIssuer.issuerUrl)).toEqual({
      'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: poolId }]],
    });
    expect(resource(stack, identity.tokenIssuer.jwksUri)).toContain('/.well-known/jwks.json');
    expect(stack.resolve(identity.tokenIssuer.audience)).toEqual({ Ref: logicalIdOf(stack, identity.userPoolClient) });
  });

  it('trusts an external issuer instead when given one, keeping the pool', () => {
    const stack = testStack();
    const external = { issuerUrl: 'http://127.0.0.1:8080/dev', jwksUri: 'http://127.0.0.1:8080/dev/jwks.json', audience: 'local' };
    const identity = new Identity(stack, 'Identity', { externalTokenIssuer: external });
    expect(identity.tokenIssuer).toEqual(external);
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPool', 1);
  });

  it('outputs the user pool and its client', () => {
    const stack = testStack();
    const identity = new Identity(stack, 'Identity');
    const template = Template.fromStack(stack);
    template.hasOutput('*', { Value: { Ref: logicalIdOf(stack, identity.userPool) } });
    template.hasOutput('*', { Value: { Ref: logicalIdOf(stack, identity.userPoolClient) } });
  });
});
