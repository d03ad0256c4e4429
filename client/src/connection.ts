import { handshakeSubprotocols, parseServerFrame, type ClientAction, type ServerFrame } from '../../protocol';
import { fullJitterDelay, type BackoffOptions } from './backoff';
import { ClientClosedError, ConnectionLostError, InvalidFrameError, ProtocolError, RequestTimeoutError } from './errors';
import { expiryOfToken, userIdOfToken } from './token';
import { OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A change of the connection's state; `reason` says why it left `open`, `delayMs` when it tries again. */
export interface ConnectionChange {
  readonly state: ConnectionState;
  readonly reason?: string;
  readonly delayMs?: number;
}

/** How long before a token's expiry the connection renews it in-band, at the latest. */
const TOKEN_RENEWAL_MARGIN_MS = 60_000;

/** A fresh token for each (re)connect: tokens expire, connections outlive them. */
export type TokenProvider = () => string | Promise<string>;

export interface ConnectionOptions {
  readonly url: string;
  readonly token: TokenProvider;
  readonly tokenTransport: 'subprotocol' | 'query';
  readonly deviceId?: string;
  readonly WebSocket: WebSocketConstructor;
  readonly random: () => number;
  readonly reconnect: BackoffOptions;
  /** Sends `ping` after this long without sending anything. */
  readonly keepAliveMs: number;
  /** A socket whose `pong` takes longer counts as dead. */
  readonly pongTimeoutMs: number;
  /** Reconnects on purpose after this long, before the gateway's 2-hour limit cuts the connection. */
  readonly renewAfterMs: number;
  readonly requestTimeoutMs: number;
  /** Where the device's `offline` and `online` events come from (a browser's window); none on Node.js. */
  readonly network: NetworkEvents | undefined;
}

/** The part of a browser's `window` that says when the device loses and regains its network. */
export interface NetworkEvents {
  addEventListener(type: 'offline' | 'online', listener: () => void): void;
  removeEventListener(type: 'offline' | 'online', listener: () => void): void;
}

/** The global scope where it sends `offline` and `online` (browsers), else undefined (Node.js). */
export function globalNetworkEvents(): NetworkEvents | undefined {
  const scope = globalThis as Partial<NetworkEvents> & { navigator?: { onLine?: unknown } };
  const hasEvents = typeof scope.addEventListener === 'function' && typeof scope.removeEventListener === 'function';
  return hasEvents && typeof scope.navigator?.onLine === 'boolean' ? (scope as NetworkEvents) : undefined;
}

export interface ConnectionHooks {
  readonly onState: (change: ConnectionChange) => void;
  /** Every valid frame, replies included; `answered` when it settled a request that waited for it. */
  readonly onFrame: (frame: ServerFrame, answered: boolean) => void;
  /** A frame that breaks the protocol, or the gateway's own error reply, which no request can be matched to. */
  readonly onInvalidFrame: (error: InvalidFrameError | ProtocolError) => void;
  /** The socket is open; `reconnected` is false only the first time. */
  readonly onOpen: (reconnected: boolean) => void;
}

interface Pending {
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * One logical connection over a succession of sockets: it opens them with a fresh token, matches
 * replies to requests by `reqId`, keeps the socket alive and proves it alive with `ping`, renews it
 * before the gateway's lifetime limit and reconnects with jittered exponential backoff after any
 * close or error.
 */
export class Connection {
  private current: ConnectionState = 'connecting';
  private socket: WebSocketLike | undefined;
  private attempt = 0;
  private opened = false;
  private stopped = false;
  private nextReqId = 1;
  private readonly pending = new Map<string, Pending>();
  private openWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private keepAliveTimer: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private tokenRenewalTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the token of the open socket expires (epoch ms), if it says. */
  private tokenExpiresAt: number | undefined;
  /** The user the latest token was for. */
  userId: string | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    this.options.network?.addEventListener('offline', this.wentOffline);
    this.options.network?.addEventListener('online', this.cameOnline);
    this.setState({ state: 'connecting' });
    void this.open();
  }

  /** Closes for good: pending requests fail with `ClientClosedError`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.options.network?.removeEventListener('offline', this.wentOffline);
    this.options.network?.removeEventListener('online', this.cameOnline);
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.release(new ClientClosedError());
    socket?.close(1000, 'client closed');
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(new ClientClosedError());
    this.setState({ state: 'closed' });
  }

  /** Resolves once the socket is open (at once if it is). */
  whenOpen(): Promise<void> {
    if (this.stopped) return Promise.reject(new ClientClosedError());
    if (this.current === 'open') return Promise.resolve();
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  /**
   * Sends a frame once the socket is open and resolves with the reply that echoes its `reqId`; an
   * `error` reply rejects with `ProtocolError`, a socket lost first with `ConnectionLostError`.
   */
  async request(frame: { action: ClientAction } & Record<string, unknown>, timeoutMs = this.options.requestTimeoutMs): Promise<ServerFrame> {
    await this.whenOpen();
    const reqId = `r${this.nextReqId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new RequestTimeoutError(frame.action, timeoutMs));
      }, timeoutMs);
      this.pending.set(reqId, { resolve, reject, timer });
      this.write({ ...frame, reqId });
    });
  }

  /** Sends a frame whose reply nobody waits for; false when no socket is open. */
  post(frame: { action: ClientAction } & Record<string, unknown>): boolean {
    if (this.current !== 'open') return false;
    this.write({ ...frame, reqId: `r${this.nextReqId++}` });
    return true;
  }

  private write(frame: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify(frame));
    this.armKeepAlive();
  }

  private setState(change: ConnectionChange): void {
    this.current = change.state;
    this.hooks.onState(change);
  }

  private async open(): Promise<void> {
    let socket: WebSocketLike;
    try {
      const token = await this.options.token();
      if (this.stopped) return;
      this.userId = userIdOfToken(token);
      this.tokenExpiresAt = expiryOfToken(token);
      const inQuery = this.options.tokenTransport === 'query';
      const query = new URLSearchParams({ ...(inQuery ? { token } : {}), ...(this.options.deviceId === undefined ? {} : { deviceId: this.options.deviceId }) });
      const url = query.size === 0 ? this.options.url : `${this.options.url}${this.options.url.includes('?') ? '&' : '?'}${query}`;
      socket = inQuery ? new this.options.WebSocket(url) : new this.options.WebSocket(url, handshakeSubprotocols(token));
    } catch (error) {
      this.scheduleReconnect(`could not connect: ${(error as Error).message}`);
      return;
    }
    this.socket = socket;
    socket.onopen = (() => this.opens(socket)) as never;
    socket.onmessage = ((event: { data: unknown }) => this.receive(socket, event.data)) as never;
    socket.onclose = ((event: { code: number }) => this.lose(socket, `closed with code ${event.code}`)) as never;
    socket.onerror = (() => this.lose(socket, 'socket error')) as never;
  }

  private opens(socket: WebSocketLike): void {
    if (socket !== this.socket) return;
    this.attempt = 0;
    const reconnected = this.opened;
    this.opened = true;
    this.setState({ state: 'open' });
    this.armKeepAlive();
    this.renewTimer = setTimeout(() => this.renew(socket), this.options.renewAfterMs);
    this.armTokenRenewal(socket);
    for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
    this.hooks.onOpen(reconnected);
  }

  private receive(socket: WebSocketLike, data: unknown): void {
    if (socket !== this.socket) return;
    const parsed = parseServerFrame(typeof data === 'string' ? data : String(data));
    if (parsed.kind === 'unknown') return;
    if (parsed.kind === 'invalid') {
      this.hooks.onInvalidFrame(new InvalidFrameError(parsed.problem));
      return;
    }
    if (parsed.kind === 'gatewayError') {
      // Which request failed is unknown: its own timeout (or the outbox's resend) takes care of it.
      this.hooks.onInvalidFrame(new ProtocolError('internal', `the gateway answered: ${parsed.message}`));
      return;
    }
    const { frame } = parsed;
    const reqId = 'reqId' in frame ? frame.reqId : undefined;
    const pending = reqId === undefined ? undefined : this.pending.get(reqId);
    if (pending !== undefined) {
      this.pending.delete(reqId!);
      clearTimeout(pending.timer);
      if (frame.type === 'error') pending.reject(new ProtocolError(frame.code, frame.message, frame.retryAfterMs));
      else pending.resolve(frame);
    }
    this.hooks.onFrame(frame, pending !== undefined);
  }

  /** Pings after a quiet spell; a pong that does not come in time means the socket is dead. */
  private armKeepAlive(): void {
    clearTimeout(this.keepAliveTimer);
    const socket = this.socket;
    this.keepAliveTimer = setTimeout(() => {
      if (socket === undefined || socket !== this.socket || socket.readyState !== OPEN) return;
      this.request({ action: 'ping' }, this.options.pongTimeoutMs).catch((error: Error) => {
        if (error instanceof RequestTimeoutError) this.lose(socket, 'no pong');
      });
    }, this.options.keepAliveMs);
  }

  /**
   * Renews the token in-band before it expires (the server closes the socket at its expiry): a
   * minute before, or at four fifths of its remaining life if that is sooner. A renewal refused or
   * unanswered replaces the socket, which asks for a fresh token anyway.
   */
  private armTokenRenewal(socket: WebSocketLike): void {
    clearTimeout(this.tokenRenewalTimer);
    if (this.tokenExpiresAt === undefined) return;
    const remaining = this.tokenExpiresAt - Date.now();
    const delay = Math.max(0, Math.min(remaining - TOKEN_RENEWAL_MARGIN_MS, (remaining * 4) / 5));
    this.tokenRenewalTimer = setTimeout(() => void this.renewToken(socket), delay);
  }

  private async renewToken(socket: WebSocketLike): Promise<void> {
    if (socket !== this.socket) return;
    try {
      const token = await this.options.token();
      if (userIdOfToken(token) !== this.userId) throw new Error('the token provider gave a token for another user');
      await this.request({ action: 'renewToken', token });
      if (socket !== this.socket) return;
      this.tokenExpiresAt = expiryOfToken(token);
      this.armTokenRenewal(socket);
    } catch (error) {
      if (socket === this.socket) this.lose(socket, `token renewal failed: ${(error as Error).message}`);
    }
  }

  /** Replaces the socket on purpose, before the gateway cuts it at its lifetime limit. */
  private renew(socket: WebSocketLike): void {
    if (socket !== this.socket) return;
    this.release(new ConnectionLostError());
    socket.close(1000, 'renewing');
    this.setState({ state: 'reconnecting', reason: 'renewing before the connection lifetime limit', delayMs: 0 });
    void this.open();
  }

  /**
   * The device lost its network: the socket is as good as dead, though a browser may not close it
   * (and the pong deadline is minutes away at the gateway's idle limit), so say so now.
   */
  private readonly wentOffline = (): void => {
    if (this.socket !== undefined) this.lose(this.socket, 'the device went offline');
  };

  /** The network is back: reconnect now instead of waiting out the backoff. */
  private readonly cameOnline = (): void => {
    // Only a wait between attempts is cut short; an attempt under way finishes on its own.
    if (this.stopped || this.reconnectTimer === undefined) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.attempt = 0;
    this.setState({ state: 'reconnecting', reason: 'the device is back online', delayMs: 0 });
    void this.open();
  };

  private lose(socket: WebSocketLike, reason: string): void {
    if (socket !== this.socket || this.stopped) return;
    this.release(new ConnectionLostError());
    // A socket given up on (no pong) may never finish closing; it no longer matters.
    if (socket.readyState === OPEN) socket.close(4000, reason);
    this.scheduleReconnect(reason);
  }

  /** Forgets the socket and its timers, and fails what waited for its replies. */
  private release(error: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    clearTimeout(this.keepAliveTimer);
    clearTimeout(this.renewTimer);
    clearTimeout(this.tokenRenewalTimer);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped) return;
    const delayMs = fullJitterDelay(this.attempt, this.options.reconnect, this.options.random);
    this.attempt += 1;
    this.setState({ state: 'reconnecting', reason, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open();
    }, delayMs);
  }
}
