import { ApiGatewayManagementApiClient, PayloadTooLargeException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { RawData } from 'ws';
import { connectionRegistry, connectUrl, localCloud, uniqueUser } from '../support/local-cloud-env';
import { TestClient } from '../support/ws-client';

jest.setTimeout(180_000);

/** API Gateway's quota for one message to a client. */
const MESSAGE_QUOTA_BYTES = 128 * 1024;

let registry: Awaited<ReturnType<typeof connectionRegistry>>;
let management: ApiGatewayManagementApiClient;
const clients: TestClient[] = [];
beforeAll(async () => {
  registry = await connectionRegistry();
  management = new ApiGatewayManagementApiClient({
    endpoint: `${localCloud().baseUrl}/prod`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(() => {
  management.destroy();
  registry.close();
});

async function connect(user: string): Promise<{ client: TestClient; connectionId: string }> {
  const client = await TestClient.connect(await connectUrl(user));
  clients.push(client);
  const [{ connectionId }] = (await registry.connectionsOf(user)) as Array<{ connectionId: string }>;
  return { client, connectionId };
}

/** The next message the socket receives, as its raw text. */
function nextRawMessage(client: TestClient, matching: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: RawData) => {
      const text = data.toString();
      if (!matching(text)) return;
      clearTimeout(timer);
      client.socket.off('message', onMessage);
      resolve(text);
    };
    const timer = setTimeout(() => {
      client.socket.off('message', onMessage);
      reject(new Error(`no matching message within ${timeoutMs} ms`));
    }, timeoutMs);
    client.socket.on('message', onMessage);
  });
}

describe("API Gateway's message quota on @connections, through the unmodified SDK client", () => {
  it('refuses a 200 KB post with PayloadTooLargeException (413) and sends the client nothing', async () => {
    const { client, connectionId } = await connect(uniqueUser('quota'));
    const post = management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ type: 'big', text: 'x'.repeat(200 * 1024) }) }));
    await expect(post).rejects.toBeInstanceOf(PayloadTooLargeException);
    await expect(post).rejects.toMatchObject({ $metadata: { httpStatusCode: 413 } });
    // The connection stays open and got nothing but what follows.
    expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
    expect(client.frames.filter((frame) => frame.type === 'big')).toEqual([]);
  });

  it('delivers a 100 KB message whole, in frames of 32 KB or less', async () => {
    const { client, connectionId } = await connect(uniqueUser('frames'));
    const sent = JSON.stringify({ type: 'big', text: 'é'.repeat(50 * 1024) }); // 100 KB in UTF-8
    const received = nextRawMessage(client, (text) => text.startsWith('{"type":"big"'));
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: sent }));
    expect(await received).toBe(sent);
  });
});

describe('getMessages within the quota', () => {
  it('answers a page of 100 messages of 4000 multi-byte characters under 128 KB with hasMore, and the next pages bring the rest', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const { client } = await connect(alice);
    const text = '€'.repeat(4000); // 12,000 bytes in UTF-8
    // One at a time (concurrent sends to one thread contend for its seq), at most ten a second, half the send rate limit.
    const opened = await client.request({ action: 'sendMessage', clientMsgId: 'm0', to: bob, text }, 60_000);
    expect(opened).toMatchObject({ status: 'sent', seq: 1 });
    const threadId = String(opened.threadId);
    for (let id = 1; id < 100; id++) {
      const paced = new Promise((resolve) => setTimeout(resolve, 100));
      expect(await client.request({ action: 'sendMessage', clientMsgId: `m${id}`, threadId, text }, 30_000)).toMatchObject({ status: 'sent', seq: id + 1 });
      await paced;
    }

    const seqs: number[] = [];
    let afterSeq = 0;
    for (let page = 0; page < 100; page++) {
      const reqId = `page-${page}`;
      const raw = nextRawMessage(client, (frame) => frame.includes(`"reqId":"${reqId}"`), 30_000);
      client.send({ action: 'getMessages', reqId, threadId, afterSeq, limit: 100 });
      const frame = await raw;
      expect(Buffer.byteLength(frame, 'utf8')).toBeLessThanOrEqual(MESSAGE_QUOTA_BYTES);
      const reply = JSON.parse(frame) as { type: string; hasMore: boolean; messages: Array<{ seq: number; text: string }> };
      expect(reply.type).toBe('messages');
      expect(reply.messages.every((message) => message.text === text)).toBe(true);
      seqs.push(...reply.messages.map((message) => message.seq));
      if (page === 0) expect(reply).toMatchObject({ hasMore: true, messages: expect.any(Array) });
      if (page === 0) expect(reply.messages.length).toBeLessThan(100);
      if (!reply.hasMore) break;
      afterSeq = reply.messages[reply.messages.length - 1].seq;
    }
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
