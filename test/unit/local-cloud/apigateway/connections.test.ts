import { WebSocket } from 'ws';
import { ConnectionRegistry } from '../../../../local-cloud/services/apigateway/connections';

/** A socket that records what the registry does to it. */
function fakeSocket() {
  return { readyState: WebSocket.OPEN as number, close: jest.fn(), terminate: jest.fn(), send: jest.fn() };
}

const identity = { sourceIp: '127.0.0.1', userAgent: 'test' };

describe('the connection registry and API Gateway`s connection limits', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const registry = () => new ConnectionRegistry({ idleTimeoutMs: 10_000, maxConnectionMs: 60_000 });

  it('closes a connection idle for the idle timeout with 1001, and a frame restarts the clock', () => {
    const connections = registry();
    const socket = fakeSocket();
    const connection = connections.open(socket as unknown as WebSocket, 'c1', Date.now(), identity);
    jest.advanceTimersByTime(9_000);
    connections.touch(connection);
    jest.advanceTimersByTime(9_000);
    expect(socket.close).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1_000);
    expect(socket.close).toHaveBeenCalledWith(1001, 'Going away');
  });

  it('closes every connection at its maximum lifetime, however active', () => {
    const connections = registry();
    const socket = fakeSocket();
    const connection = connections.open(socket as unknown as WebSocket, 'c1', Date.now(), identity);
    for (let frame = 0; frame < 11; frame++) {
      jest.advanceTimersByTime(5_000);
      connections.touch(connection);
    }
    expect(socket.close).not.toHaveBeenCalled();
    jest.advanceTimersByTime(5_000);
    expect(socket.close).toHaveBeenCalledWith(1001, 'Going away');
  });

  it('forgets a closed connection and stops its clocks', () => {
    const connections = registry();
    const socket = fakeSocket();
    const connection = connections.open(socket as unknown as WebSocket, 'c1', Date.now(), identity);
    connections.closed(connection);
    jest.advanceTimersByTime(120_000);
    expect(socket.close).not.toHaveBeenCalled();
    expect(connections.size).toBe(0);
    expect(connections.openConnection('c1')).toBeUndefined();
  });

  it('finds a connection only while its socket is open', () => {
    const connections = registry();
    const socket = fakeSocket();
    connections.open(socket as unknown as WebSocket, 'c1', Date.now(), identity);
    expect(connections.openConnection('c1')?.id).toBe('c1');
    socket.readyState = WebSocket.CLOSING;
    expect(connections.openConnection('c1')).toBeUndefined();
  });

  it('cuts only the given user`s connections without $disconnect, and says how many', () => {
    const connections = registry();
    const [bob1, bob2, carol] = [fakeSocket(), fakeSocket(), fakeSocket()];
    const bobFirst = connections.open(bob1 as unknown as WebSocket, 'b1', Date.now(), identity, { userId: 'bob' });
    connections.open(bob2 as unknown as WebSocket, 'b2', Date.now(), identity, { userId: 'bob' });
    const carols = connections.open(carol as unknown as WebSocket, 'c1', Date.now(), identity, { userId: 'carol' });
    expect(connections.dropWithoutDisconnect('bob')).toBe(2);
    expect(bob1.terminate).toHaveBeenCalled();
    expect(bob2.terminate).toHaveBeenCalled();
    expect(bobFirst.disconnectLost).toBe(true);
    expect(carol.terminate).not.toHaveBeenCalled();
    expect(carols.disconnectLost).toBeUndefined();
  });
});
