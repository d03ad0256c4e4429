import { MAX_CONNECTIONS_PER_USER } from './budget';
import { inPool } from './pool';
import type { LiveConnectionCounter } from './presence';
import type { ConnectionLiveness, ConnectionRecord, ConnectionRegistry, StaleConnection, StaleConnectionRegistry } from './ports';

export interface ConnectionPolicy {
  /** Seconds without activity after which a connection counts as stale. */
  readonly idleTimeoutSeconds: number;
}

export interface ConnectionActivity {
  readonly userId: string;
  readonly connectionId: string;
  readonly deviceId?: string;
  readonly now: number;
}

function staleAfter(now: number, idleTimeoutSeconds: number): number {
  return Math.floor(now / 1000) + idleTimeoutSeconds;
}

/** A handshake refused because its user holds as many connections as anyone may. */
export class TooManyConnectionsError extends Error {
  constructor() {
    super(`a user may hold ${MAX_CONNECTIONS_PER_USER} connections at once; close one first`);
    this.name = 'TooManyConnectionsError';
  }
}

/**
 * Registers a new connection, unless its user already holds `MAX_CONNECTIONS_PER_USER` live ones
 * (each one more is another PostToConnection for every frame the user gets). Counted before the
 * write, strongly: handshakes racing each other may each pass, so the cap can be exceeded by the
 * number of handshakes of one user in flight at once, never more.
 */
export async function openConnection({
  registry,
  idleTimeoutSeconds,
  ...request
}: ConnectionActivity & ConnectionPolicy & { readonly registry: ConnectionRegistry & LiveConnectionCounter }): Promise<ConnectionRecord> {
  if ((await registry.countLiveConnections(request.userId)) >= MAX_CONNECTIONS_PER_USER) throw new TooManyConnectionsError();
  const record: ConnectionRecord = {
    userId: request.userId,
    connectionId: request.connectionId,
    deviceId: request.deviceId ?? request.connectionId,
    connectedAt: request.now,
    lastActiveAt: request.now,
    expiresAt: staleAfter(request.now, idleTimeoutSeconds),
  };
  await registry.register(record);
  return record;
}

/**
 * Records that a connection is alive. A record already gone is registered again only if the
 * gateway still holds the connection open (it went quiet long enough to be swept, then spoke):
 * a frame that raced `$disconnect` must not bring a closed connection back.
 */
async function keepAlive({
  registry,
  gateway,
  idleTimeoutSeconds,
  ...request
}: ConnectionActivity & ConnectionPolicy & { readonly registry: ConnectionRegistry; readonly gateway: ConnectionLiveness }): Promise<void> {
  const record: ConnectionRecord = {
    userId: request.userId,
    connectionId: request.connectionId,
    deviceId: request.deviceId ?? request.connectionId,
    connectedAt: request.now,
    lastActiveAt: request.now,
    expiresAt: staleAfter(request.now, idleTimeoutSeconds),
  };
  if (await registry.touch(record)) return;
  if (await gateway.isOpen(request.connectionId)) await registry.register(record);
}

export function closeConnection({
  userId,
  connectionId,
  registry,
}: {
  readonly userId: string;
  readonly connectionId: string;
  readonly registry: ConnectionRegistry;
}): Promise<void> {
  return registry.remove(userId, connectionId);
}

/** Connections remembered per execution environment; beyond this the memory is simply started afresh. */
const MAX_REMEMBERED_CONNECTIONS = 10_000;

/**
 * Keeps a connection counted as live while its client sends any frame, as the gateway does, at
 * the cost of one write per connection per quarter idle period rather than one per frame: an
 * execution environment remembers when it last refreshed each connection.
 */
export class ActivityTracker {
  private readonly refreshedAt = new Map<string, number>();

  constructor(
    private readonly ports: ConnectionPolicy & { readonly registry: ConnectionRegistry; readonly gateway: ConnectionLiveness },
  ) {}

  /** `now` defaults to the clock; a connection's other fields (the caller as the router has it) pass through. */
  async noteActivity({ now = Date.now(), ...connection }: Omit<ConnectionActivity, 'now'> & { readonly now?: number }): Promise<void> {
    const last = this.refreshedAt.get(connection.connectionId);
    if (last !== undefined && now - last < (this.ports.idleTimeoutSeconds * 1000) / 4) return;
    await keepAlive({ userId: connection.userId, connectionId: connection.connectionId, deviceId: connection.deviceId, now, ...this.ports });
    if (this.refreshedAt.size >= MAX_REMEMBERED_CONNECTIONS) this.refreshedAt.clear();
    this.refreshedAt.set(connection.connectionId, now);
  }
}

/** Removals in flight at once during a sweep. */
const SWEEP_CONCURRENCY = 16;

/**
 * Removes every connection that went stale without `$disconnect`, so that its user shows offline
 * within a sweep interval of going quiet: DynamoDB's TTL deletes too late (within days) for that.
 * Returns how many it removed.
 */
export async function sweepStaleConnections({ now, registry }: { readonly now: number; readonly registry: StaleConnectionRegistry }): Promise<number> {
  const nowSeconds = Math.floor(now / 1000);
  const stale: StaleConnection[] = [];
  for await (const connection of registry.staleConnections(nowSeconds)) stale.push(connection);
  let removed = 0;
  await inPool(stale, SWEEP_CONCURRENCY, async (connection) => {
    if (await registry.removeIfStale(connection, nowSeconds)) removed += 1;
  });
  return removed;
}
