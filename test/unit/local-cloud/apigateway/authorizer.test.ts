import { evaluateAuthorizerResult, missingIdentitySource, policyAllows } from '../../../../local-cloud/services/apigateway/authorizer';
import { readHandshake } from '../../../../local-cloud/services/apigateway/lambda-events';
import { fixture } from '../fixtures';

const CONNECT_ARN = 'arn:aws:execute-api:us-east-1:000000000000:local/prod/$connect';

/** The documented allow response with its one statement replaced. */
function withStatement(statement: Record<string, unknown>) {
  const response = fixture('authorizer-response-allow');
  return { ...response, policyDocument: { ...response.policyDocument, Statement: [statement] } };
}

describe('the authorizer`s policy', () => {
  it('allows the documented response and carries its context, principalId and integrationLatency onward', () => {
    expect(evaluateAuthorizerResult(fixture('authorizer-response-allow'), CONNECT_ARN)).toEqual({
      allowed: true,
      context: { userId: 'alice', deviceId: 'laptop', numberKey: 1, booleanKey: true, principalId: 'alice', integrationLatency: 0 },
    });
  });

  it('refuses with 403 a Deny, a policy for another route, another API, or another action', () => {
    for (const statement of [
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: CONNECT_ARN },
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:local/prod/sendMessage' },
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:other/prod/$connect' },
      { Action: 'execute-api:ManageConnections', Effect: 'Allow', Resource: CONNECT_ARN },
    ]) {
      expect(evaluateAuthorizerResult(withStatement(statement), CONNECT_ARN)).toMatchObject({ allowed: false, status: 403 });
    }
    expect(evaluateAuthorizerResult({ principalId: 'alice' }, CONNECT_ARN)).toMatchObject({ allowed: false, status: 403 });
  });

  it('lets a Deny win over an Allow that covers the same route', () => {
    const response = fixture('authorizer-response-allow');
    response.policyDocument.Statement.push({ Action: 'execute-api:*', Effect: 'Deny', Resource: ['arn:aws:execute-api:us-east-1:000000000000:local/*'] });
    expect(policyAllows(response, CONNECT_ARN)).toBe(false);
  });

  it('matches * and ? in resources, and lists of actions', () => {
    expect(policyAllows(withStatement({ Action: ['sns:Publish', 'execute-api:Invoke'], Effect: 'Allow', Resource: 'arn:aws:execute-api:*:*:local/*/$connect' }), CONNECT_ARN)).toBe(true);
    expect(policyAllows(withStatement({ Action: '*', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:loca?/prod/$connect' }), CONNECT_ARN)).toBe(true);
    expect(policyAllows(withStatement({ Action: '*', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:loc?/prod/$connect' }), CONNECT_ARN)).toBe(false);
    // The pattern's other characters are literal: '.' is not a wildcard.
    expect(policyAllows(withStatement({ Action: '*', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:local/prod.$connect' }), 'arn:aws:execute-api:us-east-1:000000000000:local/prodx$connect')).toBe(false);
  });

  it('refuses with 500 a context holding an object or an array, which API Gateway rejects', () => {
    for (const value of [{ nested: true }, ['a']]) {
      const response = { ...fixture('authorizer-response-allow'), context: { userId: 'alice', extra: value } };
      expect(evaluateAuthorizerResult(response, CONNECT_ARN)).toMatchObject({ allowed: false, status: 500 });
    }
  });
});

describe('identity sources', () => {
  const handshake = readHandshake('/?token=abc&empty=', ['Host', 'h', 'X-Api-Token', 't'], '1.2.3.4');

  it('are present when every named query parameter or header (in any case) has a value', () => {
    expect(missingIdentitySource(['route.request.querystring.token'], handshake)).toBe(false);
    expect(missingIdentitySource(['route.request.header.x-api-token', 'route.request.querystring.token'], handshake)).toBe(false);
  });

  it('are missing when a named one is absent or empty, so the authorizer is never invoked', () => {
    expect(missingIdentitySource(['route.request.querystring.other'], handshake)).toBe(true);
    expect(missingIdentitySource(['route.request.querystring.empty'], handshake)).toBe(true);
    expect(missingIdentitySource(['route.request.header.Authorization'], handshake)).toBe(true);
    expect(missingIdentitySource(['route.request.querystring.token'], readHandshake('/', [], undefined))).toBe(true);
  });
});
