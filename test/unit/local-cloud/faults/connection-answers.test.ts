import { ApiGatewayManagementApiClient, GetConnectionCommand, GoneException, LimitExceededException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { ConnectionRegistry } from '../../../../local-cloud/services/apigateway/connections';
import { handleManagementRequest, MANAGEMENT_PATH } from '../../../../local-cloud/services/apigateway/management-api';
import { FaultRegistry } from '../../../../local-cloud/services/faults/registry';

/** The unmodified SDK client against the local @connections API, with failures armed in a fault registry. */
describe('@connections failures injected on purpose', () => {
  const faults = new FaultRegistry();
  const connections = new ConnectionRegistry({ idleTimeoutMs: 60_000, maxConnectionMs: 60_000 });
  const socket = { readyState: WebSocket.OPEN, send: jest.fn(), close: jest.fn(), terminate: jest.fn() };
  let server: Server;
  let client: ApiGatewayManagementApiClient;

  beforeAll(async () => {
    connections.open(socket as unknown as WebSocket, 'bob-1=', Date.now(), { sourceIp: '127.0.0.1', userAgent: 'test' }, { userId: 'bob' });
    server = createServer((request, response) => {
      const match = new URL(request.url!, 'http://localhost').pathname.match(MANAGEMENT_PATH)!;
      void handleManagementRequest(request, response, match[2], connections, faults);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new ApiGatewayManagementApiClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  afterEach(() => faults.clear());
  afterAll(async () => {
    client.destroy();
    for (const timer of [connections.openConnection('bob-1=')!.idleTimer, connections.openConnection('bob-1=')!.lifetimeTimer]) clearTimeout(timer);
    await new Promise((resolve) => server.close(resolve));
  });

  const post = () => client.send(new PostToConnectionCommand({ ConnectionId: 'bob-1=', Data: '{"type":"pong"}' }));

  it('raises GoneException for 410, LimitExceededException for 429, and a server fault named InternalServerErrorException for 500', async () => {
    faults.armConnectionFault({ kind: 'connection', userId: 'bob', method: 'POST', status: 410, times: 1 });
    await expect(post()).rejects.toBeInstanceOf(GoneException);
    faults.armConnectionFault({ kind: 'connection', connectionId: 'bob-1=', method: 'POST', status: 429, times: 1 });
    await expect(post()).rejects.toBeInstanceOf(LimitExceededException);
    faults.armConnectionFault({ kind: 'connection', connectionId: 'bob-1=', method: 'POST', status: 500, times: 1 });
    await expect(post()).rejects.toMatchObject({ name: 'InternalServerErrorException', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    expect(socket.send).not.toHaveBeenCalled();

    // Spent: the real answer again.
    await post();
    expect(socket.send).toHaveBeenCalledWith('{"type":"pong"}');
  });

  it('fails only the armed method', async () => {
    faults.armConnectionFault({ kind: 'connection', userId: 'bob', method: 'GET', status: 410 });
    await expect(client.send(new GetConnectionCommand({ ConnectionId: 'bob-1=' }))).rejects.toBeInstanceOf(GoneException);
    await expect(post()).resolves.toBeDefined();
  });
});
