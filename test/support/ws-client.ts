import WebSocket from 'ws';

type Frame = Record<string, unknown>;

/** A WebSocket client of the messenger for tests: it records every frame it receives. */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();
  private nextReqId = 1;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a connection (offering `protocols` as subprotocols, if given); rejects with the HTTP status if the handshake is refused. */
  static connect(url: string, protocols?: string[]): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols);
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new HandshakeRefused(response.statusCode ?? 0));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  send(frame: Frame | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first received frame matching `predicate`, waiting up to `timeoutMs` for it. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const frame = this.frames.find(predicate);
        if (frame === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(frame);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`no matching frame within ${timeoutMs} ms; received ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(wake);
    });
  }

  /** Sends `frame` with a fresh reqId and returns the reply that echoes it. */
  async request(frame: Frame, timeoutMs?: number): Promise<Frame> {
    const reqId = `req-${this.nextReqId++}`;
    this.send({ ...frame, reqId });
    return this.waitFor((reply) => reply.reqId === reqId, timeoutMs);
  }

  /** Pings every `intervalMs`, as a client app does to stay connected; returns a function that stops it. */
  pingEvery(intervalMs: number): () => void {
    const timer = setInterval(() => {
      if (this.socket.readyState === WebSocket.OPEN) this.send({ action: 'ping' });
    }, intervalMs);
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
    await this.closed;
  }
}

export class HandshakeRefused extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with HTTP ${status}`);
  }
}

/** The HTTP status of a refused handshake; fails if the handshake succeeds. */
export async function handshakeStatus(url: string, protocols?: string[]): Promise<number> {
  try {
    const client = await TestClient.connect(url, protocols);
    await client.close();
  } catch (error) {
    if (error instanceof HandshakeRefused) return error.status;
    throw error;
  }
  throw new Error('the handshake was accepted');
}
