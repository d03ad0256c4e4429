import { lambdaWithoutRuntime } from '../lambda-without-runtime';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { WebSocketGateway } from '../../../../local-cloud/services/apigateway/websocket-gateway';

/** The status a WebSocket handshake is answered with. */
function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
    });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('error', (error) => (error.message.startsWith('Unexpected server response') ? undefined : reject(error)));
  });
}

describe("the local API Gateway under the functions' resource policies", () => {
  const logs: string[] = [];
  const lambda = lambdaWithoutRuntime('gateway-policy-', (message) => void logs.push(message));
  lambda.register({
    logicalId: 'Connect',
    functionName: 'Messenger-Connect',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-Connect',
    assetDirectory: '/nonexistent',
    handler: 'index.handler',
    timeoutSeconds: 3,
    memoryMb: 128,
    environment: {},
  });
  const gateway = new WebSocketGateway({
    stage: { apiId: 'local', stage: 'prod', region: 'us-east-1', accountId: '000000000000', domainName: '127.0.0.1' },
    limits: { idleTimeoutMs: 60_000, maxConnectionMs: 60_000 },
    integrationTimeoutMs: 29_000,
    routes: { routeSelectionExpression: '$request.body.action', connect: { functionRef: 'Connect', returnResponse: false }, byKey: new Map() },
    lambda,
    log: (message) => void logs.push(message),
  });
  let server: Server;

  beforeAll(async () => {
    server = createServer();
    server.on('upgrade', (request, socket, head) => void gateway.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await gateway.stop();
    await lambda.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers the handshake 500 when no permission lets the API invoke the $connect function', async () => {
    expect(await handshakeStatus(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`)).toBe(500);
    expect(logs.join('\n')).toContain(
      'apigateway.amazonaws.com (source arn:aws:execute-api:us-east-1:000000000000:local/prod/$connect) is not authorized to perform lambda:InvokeFunction',
    );
  });
});
