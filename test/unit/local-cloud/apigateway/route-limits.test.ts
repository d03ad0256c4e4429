import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { LambdaService } from '../../../../local-cloud/services/lambda/lambda-service';
import { MAX_MESSAGE_BYTES } from '../../../../local-cloud/services/apigateway/messages';
import { WebSocketGateway } from '../../../../local-cloud/services/apigateway/websocket-gateway';

const INTEGRATION_TIMEOUT_MS = 200;

/**
 * A route's integration against a fake Lambda: no stack function can be made to outlast 29 s (or
 * a shortened timeout) without a test hook in production code, so the integration timeout and an
 * oversized route response are checked here, over a real socket, on the gateway alone.
 */
describe('a route whose integration', () => {
  let server: Server;
  let gateway: WebSocketGateway;
  let url: string;
  let client: WebSocket;
  const finished: string[] = [];
  const functions: Record<string, () => Promise<unknown>> = {
    Slow: () => new Promise((resolve) => setTimeout(() => (finished.push('Slow'), resolve({ statusCode: 200, body: '{"late":true}' })), INTEGRATION_TIMEOUT_MS * 3)),
    Huge: async () => ({ statusCode: 200, body: JSON.stringify({ text: 'x'.repeat(MAX_MESSAGE_BYTES) }) }),
    Fits: async () => ({ statusCode: 200, body: JSON.stringify({ text: 'é'.repeat(60_000) }) }),
    Measure: async () => ({ statusCode: 200, body: JSON.stringify({ received: lastBody.length }) }),
  };
  let lastBody = '';
  const lambda = {
    invoke: (functionRef: string, event: { body: string }) => {
      lastBody = event.body;
      return functions[functionRef]();
    },
  } as unknown as LambdaService;

  beforeAll(async () => {
    gateway = new WebSocketGateway({
      stage: { apiId: 'local', stage: 'prod', region: 'us-east-1', accountId: '000000000000', domainName: 'localhost' },
      limits: { idleTimeoutMs: 60_000, maxConnectionMs: 60_000 },
      integrationTimeoutMs: INTEGRATION_TIMEOUT_MS,
      routes: {
        routeSelectionExpression: '$request.body.action',
        byKey: new Map(Object.keys(functions).map((name) => [name.toLowerCase(), { functionRef: name, returnResponse: true }])),
      },
      lambda,
      log: () => undefined,
    });
    server = createServer();
    server.on('upgrade', (request, socket, head) => void gateway.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  beforeEach(async () => {
    client = new WebSocket(url);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
  });
  afterEach(() => client.close());
  afterAll(async () => {
    await gateway.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  const nextFrame = () => new Promise<Record<string, unknown>>((resolve) => client.once('message', (data) => resolve(JSON.parse(data.toString()))));

  it('has not answered within the integration timeout gives the client API Gateway\'s timeout error, and the function runs on', async () => {
    const started = Date.now();
    const frame = nextFrame();
    client.send(JSON.stringify({ action: 'slow' }));
    expect(await frame).toEqual({ message: 'Endpoint request timed out', connectionId: expect.any(String), requestId: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(INTEGRATION_TIMEOUT_MS * 3);
    expect(finished).toEqual([]);
    // The function's own result comes later and is dropped: the next frame is the next request's.
    await new Promise<void>((resolve) => {
      const waitForFunction = setInterval(() => finished.length > 0 && (clearInterval(waitForFunction), resolve()), 20);
    });
    const next = nextFrame();
    client.send(JSON.stringify({ action: 'fits' }));
    expect(Object.keys(await next)).toEqual(['text']);
  });

  it('answers over 128 KB sends the client an error instead of the reply', async () => {
    const frame = nextFrame();
    client.send(JSON.stringify({ action: 'huge' }));
    expect(await frame).toEqual({ message: 'Internal server error', connectionId: expect.any(String), requestId: expect.any(String) });
  });

  it('answers over 32 KB but within 128 KB reaches the client whole', async () => {
    const frame = nextFrame();
    client.send(JSON.stringify({ action: 'fits' }));
    expect(await frame).toEqual({ text: 'é'.repeat(60_000) });
  });

  /** Sends `text` as a text message in frames of `frameBytes`. */
  const sendInFrames = (text: string, frameBytes: number) => {
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length; offset += frameBytes) {
      client.send(bytes.subarray(offset, offset + frameBytes), { binary: false, fin: offset + frameBytes >= bytes.length });
    }
  };

  it('takes a client message of 100 KB sent in frames of 32 KB', async () => {
    const message = JSON.stringify({ action: 'measure', text: 'x'.repeat(100 * 1024) });
    const frame = nextFrame();
    sendInFrames(message, 32 * 1024);
    expect(await frame).toEqual({ received: message.length });
  });

  it('takes many messages sent back to back, however TCP cuts them', async () => {
    const replies: unknown[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        replies.push(JSON.parse(data.toString()));
        if (replies.length === 20) resolve();
      }),
    );
    for (let i = 0; i < 20; i++) client.send(JSON.stringify({ action: 'measure', text: '€'.repeat(4000 + i) }));
    await all;
    expect(client.readyState).toBe(WebSocket.OPEN);
    expect(replies).toHaveLength(20);
  });

  it('closes the connection with 1009 for a frame over 32 KB, without routing it', async () => {
    lastBody = '';
    const closed = new Promise<number>((resolve) => client.once('close', resolve));
    sendInFrames(JSON.stringify({ action: 'measure', text: 'x'.repeat(40 * 1024) }), 33 * 1024);
    expect(await closed).toBe(1009);
    expect(lastBody).toBe('');
  });

  it('closes the connection with 1009 for a message over 128 KB, even in frames of 32 KB', async () => {
    const closed = new Promise<number>((resolve) => client.once('close', resolve));
    sendInFrames(JSON.stringify({ action: 'measure', text: 'x'.repeat(MAX_MESSAGE_BYTES) }), 32 * 1024);
    expect(await closed).toBe(1009);
  });
});
