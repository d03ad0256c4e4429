import { Match, Template } from 'aws-cdk-lib/assertions';
import { ID_TOKEN_VALIDITY, Identity } from '../../lib/constructs/identity';
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

  it('lets the app client sign in with SRP and refresh its tokens, and nothing more: no OAuth flows, callbacks or scopes', () => {
    const stack = testStack();
    new Identity(stack, 'Identity');
    const [client] = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolClient'));
    const properties = client.Properties as Record<string, unknown>;
    expect([...(properties.ExplicitAuthFlows as string[])].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    for (const absent of ['AllowedOAuthFlows', 'AllowedOAuthScopes', 'CallbackURLs', 'LogoutURLs']) {
      expect(properties).not.toHaveProperty(absent);
    }
    expect(JSON.stringify(properties)).not.toMatch(/example\.com|aws\.cognito\.signin\.user\.admin/);
  });

  it('issues ID and access tokens for 10 minutes, which bounds how long a disabled user stays connected', () => {
    const stack = testStack();
    new Identity(stack, 'Identity');
    expect(ID_TOKEN_VALIDITY.toMinutes()).toBe(10);
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPoolClient', {
      IdTokenValidity: 10,
      AccessTokenValidity: 10,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes' },
      EnableTokenRevocation: true,
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
