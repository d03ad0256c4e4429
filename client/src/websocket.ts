/**
 * The part of the WebSocket API the client uses: the browser's `WebSocket`, Node.js 22's global
 * one and the `ws` package all fit. Handlers are typed loosely (`never`) so that each
 * implementation's own event types are accepted.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** `protocols`: the subprotocols offered in `Sec-WebSocket-Protocol` (the token travels there). */
export type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocketLike;

/** The readyState of an open socket, the same in every implementation. */
export const OPEN = 1;

export function globalWebSocket(): WebSocketConstructor {
  const candidate = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (candidate === undefined) {
    throw new Error('no global WebSocket here (Node.js before 22): pass one, e.g. { WebSocket } from the ws package');
  }
  return candidate;
}
