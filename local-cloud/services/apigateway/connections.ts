import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import type { ConnectionFacts, RequestIdentity } from './lambda-events';

/** API Gateway's connection limits, in milliseconds. */
export interface ConnectionLimits {
  /** A connection with no frame from its client for this long is closed (1001). */
  readonly idleTimeoutMs: number;
  /** Every connection is closed (1001) this long after it opened. */
  readonly maxConnectionMs: number;
}

export interface LiveConnection extends ConnectionFacts {
  readonly socket: WebSocket;
  lastActiveAt: number;
  idleTimer?: NodeJS.Timeout;
  readonly lifetimeTimer: NodeJS.Timeout;
  /** Set when the connection is dropped as if API Gateway's `$disconnect` were lost. */
  disconnectLost?: boolean;
}

export function newConnectionId(): string {
  // API Gateway's ids are short base64 strings, often with '=': clients must URL-encode them.
  return randomBytes(10).toString('base64');
}

/** The open connections, each closed when it idles too long or outlives its lifetime. */
export class ConnectionRegistry {
  private readonly connections = new Map<string, LiveConnection>();

  constructor(private readonly limits: ConnectionLimits) {}

  get size(): number {
    return this.connections.size;
  }

  /** Registers an accepted socket and starts its idle and lifetime clocks. */
  open(socket: WebSocket, id: string, connectedAt: number, identity: RequestIdentity, authorizer?: Record<string, unknown>): LiveConnection {
    const connection: LiveConnection = {
      id,
      socket,
      connectedAt,
      lastActiveAt: connectedAt,
      identity,
      authorizer,
      lifetimeTimer: setTimeout(() => socket.close(1001, 'Going away'), this.limits.maxConnectionMs),
    };
    this.connections.set(id, connection);
    this.resetIdleTimer(connection);
    return connection;
  }

  /** A frame arrived from the client: the connection is active now. */
  touch(connection: LiveConnection): void {
    connection.lastActiveAt = Date.now();
    this.resetIdleTimer(connection);
  }

  private resetIdleTimer(connection: LiveConnection): void {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => connection.socket.close(1001, 'Going away'), this.limits.idleTimeoutMs);
  }

  /** The socket closed: its clocks stop and it is forgotten. */
  closed(connection: LiveConnection): void {
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.lifetimeTimer);
    this.connections.delete(connection.id);
  }

  /** The connection with this id if its socket is open. */
  openConnection(id: string): LiveConnection | undefined {
    const connection = this.connections.get(id);
    return connection?.socket.readyState === WebSocket.OPEN ? connection : undefined;
  }

  /**
   * Cuts a user's connections without running `$disconnect`, as when API Gateway's best-effort
   * `$disconnect` is lost: what becomes of their records (and presence) is then up to the stack.
   * Returns how many were cut.
   */
  dropWithoutDisconnect(userId: string): number {
    let dropped = 0;
    for (const connection of this.connections.values()) {
      if (connection.authorizer?.userId !== userId) continue;
      connection.disconnectLost = true;
      connection.socket.terminate();
      dropped += 1;
    }
    return dropped;
  }

  /** Closes every connection, as a gateway going down would. */
  closeAll(): void {
    for (const connection of this.connections.values()) connection.socket.close(1001, 'Going away');
  }
}
