import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { ConnectionRegistry } from '../../../../local-cloud/services/apigateway/connections';
import { handleManagementRequest, MANAGEMENT_PATH } from '../../../../local-cloud/services/apigateway/management-api';
import { MAX_MESSAGE_BYTES } from '../../../../local-cloud/services/apigateway/messages';

function request(method: string, body = ''): IncomingMessage {
  return Object.assign(Readable.from(body.length > 0 ? [Buffer.from(body)] : []), { method }) as unknown as IncomingMessage;
}

/** A response that records its status, headers and body. */
function response() {
  const recorded = { status: 0, headers: {} as Record<string, string>, body: '' };
  const fake = {
    headersSent: false,
    writeHead: (status: number, headers: Record<string, string> = {}) => Object.assign(recorded, { status, headers }),
    end: (body?: string) => void (recorded.body = body ?? ''),
  };
  return { fake: fake as unknown as ServerResponse, recorded };
}

describe('the @connections management API', () => {
  const connectedAt = Date.UTC(2026, 0, 1, 12, 0, 0);
  let connections: ConnectionRegistry;
  let socket: { readyState: number; send: jest.Mock; close: jest.Mock; terminate: jest.Mock };
  const id = 'abc+/=';

  beforeEach(() => {
    jest.useFakeTimers({ now: connectedAt });
    connections = new ConnectionRegistry({ idleTimeoutMs: 60_000, maxConnectionMs: 60_000 });
    socket = { readyState: WebSocket.OPEN, send: jest.fn(), close: jest.fn(), terminate: jest.fn() };
    connections.open(socket as unknown as WebSocket, id, connectedAt, { sourceIp: '1.2.3.4', userAgent: 'ua' });
  });
  afterEach(() => jest.useRealTimers());

  it('answers at /{stage}/@connections/{id}, the id URL-encoded', () => {
    expect('/prod/@connections/abc%2B%2F%3D'.match(MANAGEMENT_PATH)?.[2]).toBe('abc%2B%2F%3D');
    expect('/prod/@connections/'.match(MANAGEMENT_PATH)).toBeNull();
  });

  it('POST sends the body to the connection', async () => {
    const { fake, recorded } = response();
    await handleManagementRequest(request('POST', '{"type":"pong"}'), fake, encodeURIComponent(id), connections);
    expect(recorded.status).toBe(200);
    expect(socket.send).toHaveBeenCalledWith('{"type":"pong"}');
  });

  it('refuses a POST over 128 KB, counted in UTF-8 bytes, with PayloadTooLargeException as the SDK models it, and sends nothing', async () => {
    const { fake, recorded } = response();
    // 43,691 three-byte characters: 131,073 bytes, one over the quota, though far fewer characters.
    await handleManagementRequest(request('POST', '€'.repeat(Math.ceil((MAX_MESSAGE_BYTES + 1) / 3))), fake, encodeURIComponent(id), connections);
    expect(recorded.status).toBe(413);
    expect(recorded.headers['x-amzn-ErrorType']).toBe('PayloadTooLargeException');
    expect(JSON.parse(recorded.body)).toEqual({ message: expect.any(String) });
    expect(socket.send).not.toHaveBeenCalled();
  });

  it('sends a POST of exactly 128 KB', async () => {
    const { fake, recorded } = response();
    await handleManagementRequest(request('POST', 'x'.repeat(MAX_MESSAGE_BYTES)), fake, encodeURIComponent(id), connections);
    expect(recorded.status).toBe(200);
    expect(socket.send).toHaveBeenCalled();
  });

  it('GET describes the connection as GetConnection does', async () => {
    const { fake, recorded } = response();
    await handleManagementRequest(request('GET'), fake, encodeURIComponent(id), connections);
    expect(JSON.parse(recorded.body)).toEqual({
      connectedAt: '2026-01-01T12:00:00.000Z',
      identity: { sourceIp: '1.2.3.4', userAgent: 'ua' },
      lastActiveAt: '2026-01-01T12:00:00.000Z',
    });
  });

  it('DELETE closes the connection with 1000 and answers 204', async () => {
    const { fake, recorded } = response();
    await handleManagementRequest(request('DELETE'), fake, encodeURIComponent(id), connections);
    expect(recorded.status).toBe(204);
    expect(socket.close).toHaveBeenCalledWith(1000, 'Closed by the server');
  });

  it('answers 410 GoneException for a connection that is not open, 400 for an id that cannot be decoded, 405 for other methods', async () => {
    const gone = response();
    await handleManagementRequest(request('POST', 'x'), gone.fake, 'other', connections);
    expect([gone.recorded.status, gone.recorded.headers['x-amzn-ErrorType']]).toEqual([410, 'GoneException']);

    socket.readyState = WebSocket.CLOSED;
    const closed = response();
    await handleManagementRequest(request('GET'), closed.fake, encodeURIComponent(id), connections);
    expect(closed.recorded.status).toBe(410);

    const bad = response();
    await handleManagementRequest(request('GET'), bad.fake, '%E0%A4%A', connections);
    expect(bad.recorded.status).toBe(400);

    socket.readyState = WebSocket.OPEN;
    const put = response();
    await handleManagementRequest(request('PUT'), put.fake, encodeURIComponent(id), connections);
    expect(put.recorded.status).toBe(405);
  });
});
