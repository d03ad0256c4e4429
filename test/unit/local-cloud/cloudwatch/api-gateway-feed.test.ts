import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { WebSocketGateway } from '../../../../local-cloud/services/apigateway/websocket-gateway';
import { putGatewayTraffic } from '../../../../local-cloud/services/cloudwatch/api-gateway-feed';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import { FunctionError, InvocationRefused, type LambdaService } from '../../../../local-cloud/services/lambda/lambda-service';

const INTEGRATION_TIMEOUT_MS = 200;
const STAGE = { apiId: 'local', stage: 'prod' };

/** A WebSocket API stage over a fake Lambda, its traffic feeding a metric store, driven through a real socket. */
describe('AWS/ApiGateway metrics of a WebSocket stage', () => {
  let server: Server;
  let gateway: WebSocketGateway;
  let url: string;
  const store = new MetricStore();
  const functions: Record<string, () => Promise<unknown>> = {
    Connect: async () => ({ statusCode: 200 }),
    Echo: async () => ({ statusCode: 200, body: '{"echo":true}' }),
    Fails: async () => Promise.reject(new FunctionError('Messenger-Fails', 'Error', 'broken')),
    Refused: async () => Promise.reject(new InvocationRefused('AccessDeniedException', 403, 'not allowed')),
    Slow: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), INTEGRATION_TIMEOUT_MS * 3)),
  };
  const lambda = { invoke: (functionRef: string) => functions[functionRef]() } as unknown as LambdaService;

  beforeAll(async () => {
    gateway = new WebSocketGateway({
      stage: { ...STAGE, region: 'us-east-1', accountId: '000000000000', domainName: 'localhost' },
      limits: { idleTimeoutMs: 60_000, maxConnectionMs: 60_000 },
      integrationTimeoutMs: INTEGRATION_TIMEOUT_MS,
      routes: {
        routeSelectionExpression: '$request.body.action',
        connect: { functionRef: 'Connect', returnResponse: false },
        byKey: new Map(['Echo', 'Fails', 'Refused', 'Slow'].map((name) => [name.toLowerCase(), { functionRef: name, returnResponse: true }])),
      },
      lambda,
      log: () => undefined,
    });
    gateway.traffic.observe((event) => putGatewayTraffic(store, STAGE, event));
    server = createServer();
    server.on('upgrade', (request, socket, head) => void gateway.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await gateway.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  const sums = () => Object.fromEntries(store.summaries('AWS/ApiGateway').map((metric) => [metric.metricName, { sum: metric.sum, datapoints: metric.datapoints, dimensions: metric.dimensions }]));

  it('counts connects, messages both ways, integration and execution errors, client errors, and integration latency', async () => {
    const client = new WebSocket(url);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const frames: unknown[] = [];
    client.on('message', (data) => frames.push(JSON.parse(data.toString())));
    for (const action of ['echo', 'fails', 'refused', 'slow', 'nosuchroute']) client.send(JSON.stringify({ action }));
    const deadline = Date.now() + 5000;
    while (frames.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    client.close();

    expect(frames).toHaveLength(5);
    const metrics = sums();
    expect(metrics.ConnectCount).toEqual({ sum: 1, datapoints: 1, dimensions: { ApiId: 'local', Stage: 'prod' } });
    // Five frames in, five answers out: the echo, two errors, the timeout, the refusal of an unknown route.
    expect(metrics.MessageCount.sum).toBe(10);
    expect(metrics.ClientError.sum).toBe(1);
    // $connect and four routes: one function failed; one could not be invoked and one timed out.
    expect(metrics.IntegrationError).toMatchObject({ sum: 1, datapoints: 5 });
    expect(metrics.ExecutionError).toMatchObject({ sum: 2, datapoints: 5 });
    expect(metrics.IntegrationLatency.datapoints).toBe(5);
    expect(metrics.IntegrationLatency.sum).toBeGreaterThanOrEqual(INTEGRATION_TIMEOUT_MS);
  });
});
