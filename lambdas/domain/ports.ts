/**
 * How domain operations are called: every function under `lambdas/domain/` that does something
 * (reaches a port, or decides a client's request) takes ONE object, holding the request's fields
 * and the ports it needs side by side, each port named by its role:
 *
 *   createGroup({ creatorId, name, members, maxMembers, now, fromConnectionId, threads, connections, notifier })
 *
 * Handlers build their ports once at cold start and spread them in (`{ ...frame, ...ports }`);
 * tests pass fakes the same way. `now` is a value when an operation reads the time once, `clock`
 * a port when it reads it more than once. Helpers that reach no port and decide nothing a client
 * asked (`directThreadId(a, b)`, `pushPreview(text)`, `inPool(items, limit, work)`) keep plain
 * parameters, and so do the ports' own methods (`ThreadStore.head(threadId)`), which mirror the
 * store call they wrap.
 */
import type { StoredMessage } from './messages';
import type { PushDevice, PushNotification, PushOutcome } from './push';

/** A live WebSocket connection as the registry keeps it. */
export interface ConnectionRecord {
  readonly userId: string;
  readonly connectionId: string;
  /** The client's device id, or the connection id when the client gave none. */
  readonly deviceId: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  /** Epoch milliseconds of the last frame that proved the connection alive. */
  readonly lastActiveAt: number;
  /** Epoch seconds after which the connection counts as stale (DynamoDB TTL): one idle period after its last sign of life. */
  readonly expiresAt: number;
  /**
   * Epoch seconds when the connection's token expires (`exp`, renewed by `renewToken`); the sweep
   * closes it then. None when the token outlives the connection (API Gateway closes it first).
   */
  readonly tokenExpiresAt?: number;
}

/** Where live connections are kept. */
export interface ConnectionRegistry {
  /** Registers a connection being opened (`$connect`), which the gateway does not hold open yet. */
  register(connection: ConnectionRecord): Promise<void>;
  /** Registers again a connection the gateway holds open whose record was removed (swept while it was quiet). */
  reinstate(connection: ConnectionRecord): Promise<void>;
  /**
   * Records activity on a connection that is still registered, unless its record's expiry is at
   * or after `freshExpiry` (epoch seconds): another execution environment or function refreshed it
   * lately, and writing again would only move its expiry index entry. False when its record is
   * gone (closed, or removed as stale), which this never undoes by itself.
   */
  touch(connection: ConnectionRecord, freshExpiry: number): Promise<boolean>;
  /**
   * Records a renewed token's expiry (and activity) on a connection still registered, dropping the
   * one recorded before when the record carries none; false when its record is gone.
   */
  renewToken(connection: ConnectionRecord): Promise<boolean>;
  remove(userId: string, connectionId: string): Promise<void>;
}

/** The gateway's own view of a connection. */
export interface ConnectionLiveness {
  /** Whether the gateway still holds the connection open. */
  isOpen(connectionId: string): Promise<boolean>;
}

/** Closes connections at the gateway (`DELETE @connections`), which then sends `$disconnect`. */
export interface ConnectionCloser {
  /** Closes the connection; one already closed is no error. */
  close(connectionId: string): Promise<void>;
}

/** A connection record past its expiry, as the sweep finds it. */
export interface StaleConnection {
  readonly userId: string;
  readonly connectionId: string;
}

/** Finds and removes connections that went stale without `$disconnect`. */
export interface StaleConnectionRegistry {
  /** Connections whose expiry (epoch seconds) is before `nowSeconds`. */
  staleConnections(nowSeconds: number): AsyncIterable<StaleConnection>;
  /** Removes the connection unless it proved alive since it was found; true when removed. */
  removeIfStale(connection: StaleConnection, nowSeconds: number): Promise<boolean>;
  /** Connections whose token expired (epoch seconds) before `nowSeconds`. */
  tokenExpiredConnections(nowSeconds: number): AsyncIterable<StaleConnection>;
  /** Removes the connection unless its token was renewed since it was found; true when removed. */
  removeIfTokenExpired(connection: StaleConnection, nowSeconds: number): Promise<boolean>;
  /** Drops a connection the gateway no longer holds from the connections deliveries look up. */
  unlist(connection: StaleConnection): Promise<void>;
}

/** The system of record for messages: the history of every thread. */
export interface MessageHistory {
  /** Stores a message; storing the same message again changes nothing. */
  append(message: StoredMessage): Promise<void>;
}

/** The devices users registered for push notifications. */
export interface PushDeviceRegistry {
  devicesOf(userId: string): Promise<PushDevice[]>;
  /** The user's device of that key as registered now (read strongly), or undefined once unregistered, evicted or taken over by another user. */
  deviceOf(userId: string, deviceKey: string): Promise<PushDevice | undefined>;
  remove(device: PushDevice): Promise<void>;
}

/** The mobile push services (APNs, FCM), reached through SNS platform endpoints. */
export interface PushSender {
  send(device: PushDevice, notification: PushNotification): Promise<PushOutcome>;
}
