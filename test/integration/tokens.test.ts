/**
 * Tokens over real sockets: what lifetime a token may have, the token in Sec-WebSocket-Protocol
 * instead of the URL, and a socket that ends when its token does unless renewed in-band.
 */
import WebSocket from 'ws';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../../lambdas/domain/tokens';
import { handshakeSubprotocols } from '../../protocol/handshake';
import { claimsOf, connectionRegistry, eventually, localCloud, signedByLocalIssuer, tokenFor, uniqueUser } from '../support/local-cloud-env';
import { handshakeStatus, TestClient } from '../support/ws-client';

// The expiry test waits out a token and then the minutely sweep.
jest.setTimeout(150_000);

const url = () => localCloud().webSocketUrl;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('token lifetime', () => {
  it('refuses with 401 a token without exp, signed by the issuer itself, and writes nothing', async () => {
    const user = uniqueUser('eternal');
    const { exp: _exp, ...claims } = claimsOf(await tokenFor(user));
    const registry = await connectionRegistry();
    expect(await handshakeStatus(`${url()}?token=${await signedByLocalIssuer(claims)}`)).toBe(401);
    expect(await handshakeStatus(url(), handshakeSubprotocols(await signedByLocalIssuer(claims)))).toBe(401);
    expect(await registry.connectionsOf(user)).toEqual([]);
    registry.close();
  });

  it('refuses with 401 a token valid for decades, and lets in the same token at the longest lifetime allowed', async () => {
    const user = uniqueUser('methuselah');
    const claims = claimsOf(await tokenFor(user));
    const iat = nowSeconds();
    const decades = await signedByLocalIssuer({ ...claims, iat, exp: iat + 30 * 365 * 86_400 });
    expect(await handshakeStatus(`${url()}?token=${decades}`)).toBe(401);
    const longest = await signedByLocalIssuer({ ...claims, iat, exp: iat + MAX_TOKEN_LIFETIME_SECONDS });
    await (await TestClient.connect(`${url()}?token=${longest}`)).close();
  });
});

describe('the token in Sec-WebSocket-Protocol', () => {
  it('opens a connection with no credential in the URL, and the server selects messenger.v1', async () => {
    const user = uniqueUser('header');
    const client = await TestClient.connect(`${url()}?deviceId=laptop`, handshakeSubprotocols(await tokenFor(user)));
    expect(client.socket.protocol).toBe('messenger.v1');
    expect(await client.request({ action: 'ping' })).toEqual({ type: 'pong', reqId: 'req-1' });
    const registry = await connectionRegistry();
    expect(await registry.connectionsOf(user)).toEqual([expect.objectContaining({ userId: user, deviceId: 'laptop' })]);
    registry.close();
    await client.close();
  });

  it('still opens with ?token= (selecting no subprotocol, since none was offered)', async () => {
    const client = await TestClient.connect(`${url()}?token=${await tokenFor(uniqueUser('query'))}`);
    expect(client.socket.protocol).toBe('');
    expect(await client.request({ action: 'ping' })).toEqual({ type: 'pong', reqId: 'req-1' });
    await client.close();
  });

  it('refuses with 401 a bad token in the header, and with 400 a token offered without messenger.v1', async () => {
    expect(await handshakeStatus(url(), ['messenger.v1', 'bearer.not-a.jwt'])).toBe(401);
    expect(await handshakeStatus(url(), ['messenger.v1'])).toBe(401);
    expect(await handshakeStatus(url(), [`bearer.${await tokenFor(uniqueUser('lonely'))}`])).toBe(400);
  });
});

describe('a socket and its token', () => {
  it('closes a socket within a sweep of its token expiring, and keeps open one whose token was renewed in-band', async () => {
    const user = uniqueUser('shortlived');
    const tokens = await Promise.all([tokenFor(user, 5), tokenFor(user, 5)]);
    const [expiring, renewing] = await Promise.all(tokens.map((token) => TestClient.connect(url(), handshakeSubprotocols(token))));
    const expiry = claimsOf(tokens[0]).exp as number;

    const fresh = await tokenFor(user, 3600);
    expect(await renewing.request({ action: 'renewToken', token: fresh })).toEqual({
      type: 'tokenRenewed',
      reqId: 'req-1',
      expiresAt: (claimsOf(fresh).exp as number) * 1000,
    });

    // Awaited, not slept for: the sweep runs every minute.
    const { code } = await Promise.race([
      expiring.closed,
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('the expired socket is still open after 90 s')), 90_000)),
    ]);
    // Closed through DELETE @connections, and not before its token expired.
    expect(code).toBe(1000);
    expect(nowSeconds()).toBeGreaterThanOrEqual(expiry);
    const registry = await connectionRegistry();
    await eventually(async () => (await registry.connectionsOf(user)).length === 1, 15_000, 'only the renewed connection to be registered');
    registry.close();

    expect(renewing.socket.readyState).toBe(WebSocket.OPEN);
    expect(await renewing.request({ action: 'ping' })).toEqual({ type: 'pong', reqId: 'req-2' });
    await renewing.close();
  });

  it('refuses a renewal for another user (forbidden) or with an invalid token (bad_request), and the connection stays open', async () => {
    const holder = uniqueUser('holder');
    const client = await TestClient.connect(url(), handshakeSubprotocols(await tokenFor(holder)));
    expect(await client.request({ action: 'renewToken', token: await tokenFor(uniqueUser('other')) })).toMatchObject({ type: 'error', code: 'forbidden' });
    const claims = claimsOf(await tokenFor(holder));
    const eternal = await signedByLocalIssuer({ ...claims, exp: undefined });
    expect(await client.request({ action: 'renewToken', token: eternal })).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(await client.request({ action: 'ping' })).toEqual({ type: 'pong', reqId: 'req-3' });
    await client.close();
  });
});
