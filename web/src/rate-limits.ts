/** The latest `rate_limited` answer: what it refused and when the budget has room again. */
export interface RateLimit {
  /** The refused frame's action, when known. */
  readonly action: string | undefined;
  /** Epoch ms. */
  readonly until: number;
}

/** The latest `rate_limited` answer, kept until its wait is over; `changed` tells of both ends. */
export class LatestRateLimit {
  current: RateLimit | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly changed: () => void) {}

  /** The browser's WebSocket, made to keep the latest `rate_limited` answer here. */
  readonly WebSocket = rateLimitWatchingWebSocket((limit) => {
    this.current = limit;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.current = undefined;
      this.changed();
    }, limit.until - Date.now());
    this.changed();
  });

  close(): void {
    clearTimeout(this.timer);
  }
}

/** Replies waited for at once, at most: older requests are forgotten (a reply to them shows without its action). */
const MAX_TRACKED_REQUESTS = 200;

/**
 * The browser's WebSocket, made to tell of every `rate_limited` reply. The SDK retries a refused
 * send by itself after `retryAfterMs` and says nothing while it waits (a message just stays
 * "sending"), so the page listens on the socket beside it: a second listener that reads frames
 * and changes nothing.
 */
export function rateLimitWatchingWebSocket(onLimited: (limit: RateLimit) => void): typeof WebSocket {
  return class RateLimitWatchingWebSocket extends WebSocket {
    /** The action of each request on its way, by `reqId`. */
    private readonly actions = new Map<string, string>();

    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (event: MessageEvent) => {
        const reply = typeof event.data === 'string' ? parse(event.data) : undefined;
        if (reply === undefined || typeof reply.reqId !== 'string') return;
        const action = this.actions.get(reply.reqId);
        this.actions.delete(reply.reqId);
        if (reply.type === 'error' && reply.code === 'rate_limited') {
          const wait = typeof reply.retryAfterMs === 'number' && reply.retryAfterMs > 0 ? reply.retryAfterMs : 1_000;
          onLimited({ action, until: Date.now() + wait });
        }
      });
    }

    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const frame = typeof data === 'string' ? parse(data) : undefined;
      if (frame !== undefined && typeof frame.reqId === 'string' && typeof frame.action === 'string') {
        if (this.actions.size >= MAX_TRACKED_REQUESTS) this.actions.delete(this.actions.keys().next().value!);
        this.actions.set(frame.reqId, frame.action);
      }
      super.send(data);
    }
  };
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** "Sending too fast", or what else was refused, with the wait in whole seconds. */
export function rateLimitText(limit: RateLimit, now = Date.now()): string {
  const seconds = Math.max(1, Math.ceil((limit.until - now) / 1000));
  return limit.action === 'sendMessage'
    ? `You're sending messages too fast. Your message goes out in ${seconds} s.`
    : `Too many actions at once. Try again in ${seconds} s.`;
}
