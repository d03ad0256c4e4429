/**
 * The local cloud's `/dev` endpoints act as any user (`/dev/invoke` runs any function with any
 * event): a web page open in the developer's browser must not reach them. Raw HTTP requests, with
 * the headers a browser would send, against the running local cloud.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { claimsOf, connectionRegistry, localCloud, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(60_000);

interface Answer {
  readonly status: number;
  readonly body: { message?: string } & Record<string, unknown>;
}

/** One request with exactly these headers (fetch would add or refuse some, such as Host). */
function send(path: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const { port } = new URL(localCloud().baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, method, headers, setHost: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The $connect function's logical id, and an event that registers a connection for `user` as if the gateway sent it. */
async function forgedConnect(user: string): Promise<{ path: string; event: string }> {
  const { functions } = (await (await fetch(`${localCloud().baseUrl}/dev/functions`)).json()) as { functions: Array<{ logicalId: string }> };
  const connect = functions.find((fn) => /^Connect[0-9A-F]{8}$/.test(fn.logicalId));
  if (connect === undefined) throw new Error(`no $connect function among ${functions.map((fn) => fn.logicalId).join(', ')}`);
  const now = Date.now();
  const event = {
    requestContext: { connectionId: `forged-${user}=`, requestTimeEpoch: now, routeKey: '$connect', eventType: 'CONNECT', authorizer: { userId: user, tokenExpiresAt: Math.floor(now / 1000) + 600 } },
  };
  return { path: `/dev/invoke?function=${connect.logicalId}`, event: JSON.stringify(event) };
}

const own = () => `127.0.0.1:${new URL(localCloud().baseUrl).port}`;

describe('/dev endpoints', () => {
  it('refuse a cross-site text/plain POST to /dev/invoke with 403 and a reason, and run nothing; the same event as JSON from a local tool runs', async () => {
    const victim = uniqueUser('victim');
    const { path, event } = await forgedConnect(victim);
    const registry = await connectionRegistry();

    // What a page on another site can send without asking first: a "simple" request.
    const crossSite = await send(path, 'POST', { Host: own(), Origin: 'https://evil.example', 'Content-Type': 'text/plain;charset=UTF-8' }, event);
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.message).toMatch(/cross-site request from https:\/\/evil\.example refused/);
    // Even without Origin (a browser always sends it on POST), text/plain is refused.
    const plain = await send(path, 'POST', { Host: own(), 'Content-Type': 'text/plain' }, event);
    expect(plain.status).toBe(403);
    expect(plain.body.message).toMatch(/Content-Type text\/plain refused/);
    expect(await registry.connectionsOf(victim)).toEqual([]);

    // A body with no type at all: what fetch sends, without asking first, for an ArrayBuffer or an untyped Blob.
    const untyped = await send(path, 'POST', { Host: own(), 'Content-Length': String(Buffer.byteLength(event)) }, event);
    expect(untyped.status).toBe(403);
    expect(untyped.body.message).toMatch(/Content-Type \(none\) refused/);
    const chunked = await send(path, 'POST', { Host: own(), 'Transfer-Encoding': 'chunked' }, event);
    expect(chunked.status).toBe(403);
    expect(await registry.connectionsOf(victim)).toEqual([]);

    const tool = await send(path, 'POST', { Host: own(), 'Content-Type': 'application/json' }, event);
    expect(tool.status).toBe(200);
    expect(await registry.connectionsOf(victim)).toEqual([expect.objectContaining({ userId: victim })]);
    registry.close();
  });

  it('refuse a request whose Host is another name (DNS rebinding), and one whose browser says it is cross-site', async () => {
    const rebound = await send('/dev/token?user=alice', 'GET', { Host: `attacker.example:${new URL(localCloud().baseUrl).port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body.message).toMatch(/Host attacker\.example:\d+ is not this local cloud/);
    expect(rebound.body).not.toHaveProperty('token');

    const fetched = await send('/dev/token?user=alice', 'GET', { Host: own(), 'Sec-Fetch-Site': 'cross-site' });
    expect(fetched.status).toBe(403);
  });

  it('answer this machine: no Origin, or the local cloud itself as origin, by 127.0.0.1 or localhost', async () => {
    const port = new URL(localCloud().baseUrl).port;
    const cases: Array<Record<string, string>> = [{ Host: own() }, { Host: `localhost:${port}`, Origin: `http://localhost:${port}` }, { Host: own(), Origin: `http://${own()}`, "Sec-Fetch-Site": "same-origin" }];
    for (const headers of cases) {
      const answer = await send('/dev/token?user=alice', 'GET', headers);
      expect([JSON.stringify(headers), answer.status]).toEqual([JSON.stringify(headers), 200]);
      expect(answer.body.token).toEqual(expect.any(String));
    }
  });

  it('sign tokens that live a day unless expiresIn says otherwise, so that a contract client that never renews is not closed mid-run', async () => {
    const lifetimeOf = async (query: string) => {
      const answer = await send(`/dev/token?${query}`, 'GET', { Host: own() });
      const { iat, exp } = claimsOf(String(answer.body.token)) as { iat: number; exp: number };
      return exp - iat;
    };
    expect(await lifetimeOf('user=alice')).toBe(86_400);
    expect(await lifetimeOf('user=alice&expiresIn=30')).toBe(30);
  });
});

/** How a TCP connection to `host:port` ends: `connected`, or the error's code. */
function connectionOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('the listeners', () => {
  it("are on 127.0.0.1 only by default: the local cloud's port and every stand-in's refuse this machine's other addresses", async () => {
    const standIns = JSON.stringify(await (await fetch(`${localCloud().baseUrl}/dev/stand-ins`)).json());
    const ports = [Number(new URL(localCloud().baseUrl).port), ...[...standIns.matchAll(/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]))];
    expect(new Set(ports).size).toBeGreaterThanOrEqual(5);
    // 127.0.0.2 reaches this machine's loopback interface on Linux, but not a socket bound to 127.0.0.1.
    const otherAddresses = ['127.0.0.2', ...Object.values(networkInterfaces()).flat().filter((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4').map((entry) => entry!.address)];
    for (const port of new Set(ports)) {
      expect(await connectionOutcome('127.0.0.1', port)).toBe('connected');
      for (const address of otherAddresses) expect([`${address}:${port}`, await connectionOutcome(address, port)]).toEqual([`${address}:${port}`, 'ECONNREFUSED']);
    }
  });
});
