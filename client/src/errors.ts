import type { ErrorCode } from '../../protocol';

/**
 * The server refused a frame: `code` is the protocol's error code, `message` is for people.
 * `retryAfterMs`, with `rate_limited`, is the least wait before the same frame fits the user's
 * budget again.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** The connection closed before the reply came; the request may or may not have taken effect. */
export class ConnectionLostError extends Error {
  constructor() {
    super('the connection closed before the reply came');
    this.name = 'ConnectionLostError';
  }
}

/** No reply within the request timeout while the connection stayed open. */
export class RequestTimeoutError extends Error {
  constructor(action: string, timeoutMs: number) {
    super(`no reply to ${action} within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** The client was closed; nothing more is sent. */
export class ClientClosedError extends Error {
  constructor() {
    super('the client is closed');
    this.name = 'ClientClosedError';
  }
}

/** The server sent a frame that does not match the protocol; it was ignored. */
export class InvalidFrameError extends Error {
  constructor(problem: string) {
    super(`ignored a server frame: ${problem}`);
    this.name = 'InvalidFrameError';
  }
}
