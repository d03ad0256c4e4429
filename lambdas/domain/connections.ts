import { MAX_CONNECTIONS_PER_USER } from './budget';
import { inPool } from './pool';
import { MAX_CONNECTION_SECONDS, type LiveConnectionCounter } from './presence';
import type { ConnectionCloser, ConnectionLiveness, ConnectionRecord, ConnectionRegistry, StaleConnection, StaleConnectionRegistry } from './ports';

export interface ConnectionPolicy {
  /** Seconds without activity after which a connection counts as stale. */
  readonly idleTimeoutSeconds: number;
}

export interface ConnectionActivity {
  readonly userId: string;
  readonly connectionId: string;
  readonly deviceId?: string;
  /** Epoch seconds when the connection's token expires. */
  readonly tokenExpiresAt?: number;
  readonly now: number;
}

/** When a connection counts as stale: one idle period after its last sign of life. */
function staleAfter(now: number, idleTimeoutSeconds: number): number {
  return Math.floor(now / 1000) + idleTimeoutSeconds;
}

/**
 * The token expiry the sweep must close the connection at, if any. A connection that exists at
 * `now` is closed by API Gateway within `MAX_CONNECTION_SECONDS` of it, so a token that lives
 * longer never needs closing: left out, it keeps the connection out of the token-expiry index,
 * which would cost an index write on every connect and disconnect.
 */
function tokenDeadline(tokenExpiresAt: number | undefined, now: number): number | undefined {
  return tokenExpiresAt !== undefined && tokenExpiresAt < Math.floor(now / 1000) + MAX_CONNECTION_SECONDS ? tokenExpiresAt : undefined;
}

function recordOf(request: ConnectionActivity, idleTimeoutSeconds: number): ConnectionRecord {
  const tokenExpiresAt = tokenDeadline(request.tokenExpiresAt, request.now);
  return {
    userId: request.userId,
    connectionId: request.connectionId,
    deviceId: request.deviceId ?? request.connectionId,
    connectedAt: request.now,
    lastActiveAt: request.now,
    expiresAt: staleAfter(request.now, idleTimeoutSeconds),
    ...(tokenExpiresAt === undefined ? {} : { tokenExpiresAt }),
  };
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
  const record = recordOf(request, idleTimeoutSeconds);
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
  // The registry keeps a token expiry it holds (a renewal's) over the one given here (the connect-time token's).
  const record = recordOf(request, idleTimeoutSeconds);
  // Refreshed within the last quarter idle period (by any environment): fresh enough, as this one's own memory is.
  if (await registry.touch(record, record.expiresAt - Math.floor(idleTimeoutSeconds / 4))) return;
  if (await gateway.isOpen(request.connectionId)) await registry.reinstate(record);
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
    await keepAlive({ ...connection, now, ...this.ports });
    if (this.refreshedAt.size >= MAX_REMEMBERED_CONNECTIONS) this.refreshedAt.clear();
    this.refreshedAt.set(connection.connectionId, now);
  }
}

/**
 * Records a renewed token on the caller's connection: from now on the connection lasts until the
 * new token expires (a token that outlives the connection drops the expiry recorded before).
 * Registers the connection again if its record is gone while the gateway still holds it open, as
 * activity does.
 */
export async function renewConnectionToken({
  registry,
  gateway,
  idleTimeoutSeconds,
  ...request
}: ConnectionActivity & ConnectionPolicy & { readonly tokenExpiresAt: number; readonly registry: ConnectionRegistry; readonly gateway: ConnectionLiveness }): Promise<void> {
  const record = recordOf(request, idleTimeoutSeconds);
  if (await registry.renewToken(record)) return;
  if (await gateway.isOpen(request.connectionId)) await registry.reinstate(record);
}

/** Removals in flight at once during a sweep. */
const SWEEP_CONCURRENCY = 16;

export interface SweepResult {
  /** Connection records removed because they went quiet without `$disconnect`. */
  readonly removed: number;
  /** Connections closed at the gateway (and their records removed) because their token expired unrenewed. */
  readonly closedForExpiredToken: number;
}

/**
 * Removes every connection that went stale without `$disconnect`, so that its user shows offline
 * within a sweep interval of going quiet: DynamoDB's TTL deletes too late (within days) for that.
 * And closes at the gateway every connection whose token expired without renewal, so that a
 * socket never outlives its token by more than a sweep interval. (Its expiry is kept apart from
 * the TTL attribute, so TTL never deletes the record of a connection still to be closed.)
 */
export async function sweepStaleConnections({
  now,
  registry,
  gateway,
}: {
  readonly now: number;
  readonly registry: StaleConnectionRegistry;
  readonly gateway: ConnectionCloser & ConnectionLiveness;
}): Promise<SweepResult> {
  const nowSeconds = Math.floor(now / 1000);
  const stale: StaleConnection[] = [];
  for await (const connection of registry.staleConnections(nowSeconds)) stale.push(connection);
  const expired: StaleConnection[] = [];
  for await (const connection of registry.tokenExpiredConnections(nowSeconds)) expired.push(connection);
  let removed = 0;
  let closedForExpiredToken = 0;
  await inPool(stale, SWEEP_CONCURRENCY, async (connection) => {
    if (!(await registry.removeIfStale(connection, nowSeconds))) return;
    removed += 1;
    // Unlisted only once the gateway no longer holds it: one still open may speak again and be
    // registered again, and must not be missing from deliveries meanwhile. (If the check fails it
    // stays listed, and the next post to it finds it gone.)
    if (!(await gateway.isOpen(connection.connectionId).catch(() => true))) await registry.unlist(connection);
  });
  await inPool(expired, SWEEP_CONCURRENCY, async (connection) => {
    // Removed first, on the base table: the index may not yet show a renewal, and a renewed
    // connection must stay open. (A failed close then fails the run; the SDK has retried it.)
    if (!(await registry.removeIfTokenExpired(connection, nowSeconds))) return;
    try {
      await gateway.close(connection.connectionId);
      closedForExpiredToken += 1;
    } finally {
      // Unlisted even if the close failed: its record is gone, so no later sweep finds it; if it
      // speaks again it is registered again, with its expired token, and closed by the next sweep.
      await registry.unlist(connection);
    }
  });
  return { removed, closedForExpiredToken };
}
