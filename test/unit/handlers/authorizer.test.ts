import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { handler } from '../../../lambdas/handlers/authorizer';
import { lambdaContext } from '../../support/lambda-events';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../../../lambdas/domain/tokens';
import { handshakeSubprotocols } from '../../../protocol/handshake';
import { tamper, TestSigner } from '../../support/tokens';

const ISSUER = process.env.TOKEN_ISSUER_URL!;
const AUDIENCE = process.env.TOKEN_AUDIENCE!;
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:api/prod/$connect';
const signer = new TestSigner();

function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 3600, ...overrides };
}

function authorize(query: Record<string, string> | null, authorizer = handler, headers: Record<string, string> | null = null) {
  const event = { type: 'REQUEST', methodArn: METHOD_ARN, queryStringParameters: query, headers } as APIGatewayRequestAuthorizerEvent;
  return authorizer(event, lambdaContext);
}

let fetchSpy: jest.SpiedFunction<typeof fetch>;

beforeEach(() => {
  fetchSpy = jest
    .spyOn(globalThis, 'fetch')
    .mockImplementation(async () => new Response(JSON.stringify(signer.jwks), { status: 200 }));
});

afterEach(() => fetchSpy.mockRestore());

describe('authorizer', () => {
  it('allows a valid token and passes the user and device on in its context', async () => {
    const token = claims();
    const result = await authorize({ token: signer.sign(token), deviceId: 'phone-1' });

    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN },
    ]);
    expect(result.context).toEqual({ userId: 'alice', deviceId: 'phone-1', tokenExpiresAt: token.exp });
  });

  it('takes the token from a bearer subprotocol of Sec-WebSocket-Protocol, whatever the header name\'s case', async () => {
    const header = handshakeSubprotocols(signer.sign(claims({ sub: 'bob' }))).join(', ');
    expect((await authorize(null, handler, { 'Sec-WebSocket-Protocol': header })).principalId).toBe('bob');
    expect((await authorize({ deviceId: 'tab' }, handler, { 'sec-websocket-protocol': header })).context).toMatchObject({ userId: 'bob', deviceId: 'tab' });
    // Offered subprotocols without a token are no token.
    await expect(authorize(null, handler, { 'Sec-WebSocket-Protocol': 'messenger.v1' })).rejects.toThrow(/^Unauthorized$/);
  });

  it('fetches the signing keys from the configured JWKS URI', async () => {
    // A fresh module: the one above has the keys cached from earlier tests and would fetch nothing.
    let fresh!: typeof handler;
    jest.isolateModules(() => {
      fresh = (require('../../../lambdas/handlers/authorizer') as { handler: typeof handler }).handler;
    });

    expect((await authorize({ token: signer.sign(claims()) }, fresh)).principalId).toBe('alice');

    expect(fetchSpy).toHaveBeenCalled();
    expect(fetchSpy.mock.calls.map(([uri]) => uri)).toEqual(fetchSpy.mock.calls.map(() => process.env.TOKEN_JWKS_URI));
  });

  it('leaves out a device id that does not match the contract, for $connect to refuse', async () => {
    const result = await authorize({ token: signer.sign(claims()), deviceId: 'not a device!' });
    expect(result.context).toEqual({ userId: 'alice', tokenExpiresAt: expect.any(Number) });
  });

  it.each([
    ['no query string at all', null],
    ['no token', { deviceId: 'phone' }],
    ['an empty token', { token: '' }],
    ['a token that is not a JWT', { token: 'garbage' }],
  ])('refuses with 401 for %s', async (_case, query) => {
    await expect(authorize(query)).rejects.toThrow(/^Unauthorized$/);
  });

  it.each([
    ['expired', () => signer.sign(claims({ exp: Math.floor(Date.now() / 1000) - 60 }))],
    ['from another issuer', () => signer.sign(claims({ iss: 'https://evil.example.com' }))],
    ['for another audience', () => signer.sign(claims({ aud: 'someone-else' }))],
    ['signed by another key with the same key id', () => new TestSigner().sign(claims())],
    ['with a payload changed after signing', () => tamper(signer.sign(claims()), claims({ sub: 'mallory' }))],
    ['with an unusable subject', () => signer.sign(claims({ sub: 'alice smith' }))],
    ['without a subject', () => signer.sign(claims({ sub: undefined }))],
    ['without exp', () => signer.sign(claims({ exp: undefined }))],
    ['without iat', () => signer.sign(claims({ iat: undefined }))],
    ['valid for decades', () => signer.sign(claims({ exp: Math.floor(Date.now() / 1000) + 30 * 365 * 86_400 }))],
    ['valid a second longer than allowed', () => signer.sign(claims({ exp: claims().iat + MAX_TOKEN_LIFETIME_SECONDS + 1 }))],
    ['issued in the future, to stretch its lifetime', () => {
      const later = Math.floor(Date.now() / 1000) + 3600;
      return signer.sign(claims({ iat: later, exp: later + 3600 }));
    }],
  ])('refuses a token %s', async (_case, token) => {
    await expect(authorize({ token: token() })).rejects.toThrow(/^Unauthorized$/);
  });
});
