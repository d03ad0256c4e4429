/**
 * `LOCAL_BIND_ADDRESS`: the local cloud's port opens to another address of this machine, beside
 * 127.0.0.1, with a warning; `/dev` and `@connections` still answer this machine only, whatever
 * Host a request names. A cloud of its own, since the setting is read at start.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { tokenFor, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';
import { TestClient } from '../support/ws-client';

jest.setTimeout(300_000);

/** An address of this machine that is not loopback: a request to it comes from it, not from 127.0.0.1. */
const address = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4')?.address;
if (address === undefined) throw new Error('this test needs a network interface with an IPv4 address besides loopback');

const cloud = ownCloudForThisFile({ LOCAL_BIND_ADDRESS: address });

/** One request to `address`, naming the local cloud's loopback Host as a tool on this machine would. */
function sendToAddress(path: string, method: string): Promise<{ status: number; message?: string }> {
  const { port } = new URL(cloud().baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: address, port, path, method, headers: { Host: `127.0.0.1:${port}` }, setHost: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, message: (JSON.parse(text) as { message?: string }).message }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('LOCAL_BIND_ADDRESS', () => {
  it('serves WebSockets on that address and on 127.0.0.1, and warns at start that the port is open to other machines', async () => {
    const { port } = new URL(cloud().baseUrl);
    const user = uniqueUser('lan');
    for (const host of [address, '127.0.0.1']) {
      const client = await TestClient.connect(`ws://${host}:${port}/`, ['messenger.v1', `bearer.${await tokenFor(user)}`]);
      try {
        expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
      } finally {
        await client.close();
      }
    }
    expect(await readFile(cloud().outputFile, 'utf8')).toContain(`WARNING: LOCAL_BIND_ADDRESS=${address} opens port ${port} to every machine`);
  });

  it('keeps /dev and @connections for this machine: a request that reaches them from that address is refused, whatever Host it names', async () => {
    const token = await sendToAddress('/dev/token?user=alice', 'GET');
    expect(token).toEqual({ status: 403, message: expect.stringMatching(/^request from [\d.]+ refused: this endpoint answers this machine only$/) });
    const management = await sendToAddress('/prod/@connections/someone', 'DELETE');
    expect(management).toEqual({ status: 403, message: expect.stringMatching(/this endpoint answers this machine only$/) });
    // The same requests from 127.0.0.1 pass the guard (the token is signed; @connections asks for a signature).
    expect((await fetch(`${cloud().baseUrl}/dev/token?user=alice`)).status).toBe(200);
  });
});
