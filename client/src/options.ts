import type { BackoffOptions } from './backoff';
import type { NetworkEvents, TokenProvider } from './connection';
import type { OutboxStore } from './outbox-store';
import type { WebSocketConstructor } from './websocket';

export interface MessengerClientOptions {
  /** The WebSocket endpoint, e.g. `wss://…/prod` (locally `ws://127.0.0.1:8080/`). */
  readonly url: string;
  /**
   * Called on every connect and reconnect, and before the token in use expires (the connection is
   * renewed in-band with `renewToken`, or the server closes it at the token's expiry): return a
   * token that is valid now.
   */
  readonly token: TokenProvider;
  /**
   * Where the token travels at the handshake: `subprotocol` (default) offers it in
   * `Sec-WebSocket-Protocol`, out of the URL and so out of logs and history; `query` puts it in
   * `?token=`, for clients that cannot set subprotocols.
   */
  readonly tokenTransport?: 'subprotocol' | 'query';
  /** This device's id (1-64 of `A-Za-z0-9_-`); without it each connection is its own device. */
  readonly deviceId?: string;
  /** Defaults to the global `WebSocket` (browsers, Node.js 22+); pass `ws`'s on Node.js 20. */
  readonly WebSocket?: WebSocketConstructor;
  /** Where unacked messages wait; defaults to memory. The web app passes an IndexedDB store. */
  readonly outboxStore?: OutboxStore;
  /**
   * Acks `delivered` for arriving messages. Default true. Never in a message request you have
   * not accepted (that would tell a stranger when you are online): accepting it acks what arrived.
   */
  readonly autoAckDelivered?: boolean;
  /**
   * How long an automatic delivered-ack waits, to ack every message of its thread that arrives
   * meanwhile in one receipt. Default 300 ms. Read receipts (`markRead`) go at once.
   */
  readonly deliveredAckDelayMs?: number;
  /** A number in [0, 1) for backoff jitter; default `Math.random`. */
  readonly random?: () => number;
  /** Backoff between reconnects (default 500 ms doubling to 30 s, full jitter). */
  readonly reconnect?: BackoffOptions;
  /** Backoff between resends after `rate_limited` or `internal` (default 1 s doubling to 30 s). */
  readonly sendRetry?: BackoffOptions;
  /** Ping after this long without sending anything. Default 5 minutes (the gateway's idle limit is 10). */
  readonly keepAliveMs?: number;
  /** A socket whose pong takes longer is dead. Default 5 s. */
  readonly pongTimeoutMs?: number;
  /** Reconnect on purpose after this long. Default 1 h 55 min (the gateway's limit is 2 h). */
  readonly renewAfterMs?: number;
  /** Replies later than this fail the request. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** A message's ack later than this makes the outbox send it again (same `clientMsgId`). Default 10 s. */
  readonly ackTimeoutMs?: number;
  /**
   * Where `offline` and `online` events come from: going offline counts as a lost connection at once
   * (`reconnecting`), coming online reconnects without waiting out the backoff. Defaults to the global
   * scope in browsers; `null` turns it off. Node.js has no such events.
   */
  readonly network?: NetworkEvents | null;
  /** Indicators of others expire after this long without a signal. Default 5 s. */
  readonly typingExpiryMs?: number;
  /** After the last `typing()` call, `stop` goes out after this long. Default 3 s. */
  readonly typingStopMs?: number;
}
