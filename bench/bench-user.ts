import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { CloudClient } from './cloud';

export type Frame = Record<string, unknown> & { type?: string };

/** Epoch milliseconds with sub-millisecond precision, comparable across this process's sockets. */
export const now = () => performance.timeOrigin + performance.now();

/**
 * A benchmark user: one WebSocket connection that counts the frames it sends and receives (API
 * Gateway bills both) and hands every received frame, stamped on arrival, to the listeners.
 */
export class BenchUser {
  framesSent = 0;
  framesReceived = 0;
  private readonly listeners = new Set<(frame: Frame, at: number) => void>();

  private constructor(
    readonly userId: string,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => {
      const at = now();
      this.framesReceived += 1;
      const frame = JSON.parse(data.toString()) as Frame;
      for (const listener of this.listeners) listener(frame, at);
    });
  }

  static async connect(cloud: CloudClient, userId: string, tokenSeconds?: number): Promise<BenchUser> {
    const token = await cloud.token(userId, tokenSeconds);
    const socket = new WebSocket(`${cloud.webSocketUrl}?token=${token}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => reject(new Error(`${userId}: handshake refused with ${response.statusCode}`)));
      socket.once('error', reject);
    });
    return new BenchUser(userId, socket);
  }

  send(frame: Frame): number {
    this.framesSent += 1;
    const at = now();
    this.socket.send(JSON.stringify(frame));
    return at;
  }

  onFrame(listener: (frame: Frame, at: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first frame matching `predicate` from now on, with its arrival time. */
  next(predicate: (frame: Frame) => boolean, timeoutMs = 30_000): Promise<{ frame: Frame; at: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${this.userId}: no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onFrame((frame, at) => {
        if (!predicate(frame)) return;
        clearTimeout(timer);
        off();
        resolve({ frame, at });
      });
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.close(1000);
    await closed;
  }
}

/** Connects users with a few handshakes in flight at once, as a crowd of clients would. */
export async function connectUsers(cloud: CloudClient, userIds: readonly string[], concurrency = 16, tokenSeconds?: number): Promise<BenchUser[]> {
  const users: BenchUser[] = new Array(userIds.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, userIds.length) }, async () => {
      while (next < userIds.length) {
        const index = next++;
        users[index] = await BenchUser.connect(cloud, userIds[index], tokenSeconds);
      }
    }),
  );
  return users;
}

export async function closeUsers(users: readonly BenchUser[]): Promise<void> {
  await Promise.all(users.map((user) => user.close()));
}
