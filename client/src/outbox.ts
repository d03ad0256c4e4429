import { sendMessageFrame, type ServerFrame, type ServerFrameOf } from '../../protocol';
import { fullJitterDelay, type BackoffOptions } from './backoff';
import { ClientClosedError, ProtocolError } from './errors';
import { MessageHandle } from './message-handle';
import type { OutboxEntry, OutboxStore } from './outbox-store';

export interface OutboxOptions {
  readonly store: OutboxStore;
  readonly request: (frame: { action: 'sendMessage' } & Record<string, unknown>, timeoutMs: number) => Promise<ServerFrame>;
  readonly random: () => number;
  /** Waits between retries after `rate_limited`, `internal` or a missing ack. */
  readonly retry: BackoffOptions;
  /** Resends when the ack takes longer (the first ack can be lost while the message went through). */
  readonly ackTimeoutMs: number;
  readonly onSent: (handle: MessageHandle) => void;
}

/** Codes that say "not now" rather than "never": the message is sent again after a wait. */
const RETRIED_CODES = new Set(['rate_limited', 'internal']);

/**
 * Messages on their way: kept in a store until acked, sent one at a time in order (so that a
 * thread's seq follows the order they were written in), and retried with the same `clientMsgId`
 * across reconnects, timeouts and rate limiting, which the server answers with the first ack
 * instead of a second message.
 */
export class Outbox {
  private readonly queue: Array<{ handle: MessageHandle; stored: Promise<void> }> = [];
  private readonly acks = new Map<string, (ack: ServerFrameOf<'ack'>) => void>();
  private pumping = false;
  private closed = false;

  constructor(private readonly options: OutboxOptions) {}

  /** Queues what the store kept from an earlier session, ahead of anything new. */
  async restore(): Promise<MessageHandle[]> {
    const entries = (await this.options.store.load()).sort((a, b) => a.createdAt - b.createdAt);
    const known = new Set(this.queue.map(({ handle }) => handle.clientMsgId));
    const handles = entries.filter((entry) => !known.has(entry.clientMsgId)).map((entry) => new MessageHandle(entry));
    this.queue.unshift(...handles.map((handle) => ({ handle, stored: Promise.resolve() })));
    this.pump();
    return handles;
  }

  /** Queues a message; throws `ProtocolError` (`bad_request`) at once for one the server would refuse. */
  enqueue(entry: OutboxEntry): MessageHandle {
    const check = sendMessageFrame.safeParse({ action: 'sendMessage', ...entry });
    if (!check.success) {
      const [issue] = check.error.issues;
      throw new ProtocolError('bad_request', `${issue.path.join('.')} ${issue.message}`.trim());
    }
    const handle = new MessageHandle(entry);
    this.queue.push({ handle, stored: this.options.store.put(entry) });
    this.pump();
    return handle;
  }

  get pending(): MessageHandle[] {
    return this.queue.map(({ handle }) => handle);
  }

  /** Takes any ack for a queued message, such as a late one for an attempt already given up on. */
  noteAck(ack: ServerFrameOf<'ack'>): void {
    this.acks.get(ack.clientMsgId)?.(ack);
  }

  close(): void {
    this.closed = true;
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    void this.drain().finally(() => {
      this.pumping = false;
      // A message queued after the loop's last look (say, from a listener of the last ack) is still sent.
      if (this.queue.length > 0) this.pump();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const { handle, stored } = this.queue[0];
      let ack: ServerFrameOf<'ack'> | undefined;
      try {
        await stored;
        ack = await this.deliver(handle.entry);
      } catch (error) {
        // Closing keeps the message in the store for the next session.
        if (error instanceof ClientClosedError) return;
        handle.markFailed(error as Error);
      }
      // Once answered either way, a resend could only repeat the answer.
      await this.options.store.delete(handle.clientMsgId).catch(() => undefined);
      this.queue.shift();
      if (ack !== undefined) {
        handle.markSent(ack);
        this.options.onSent(handle);
      }
    }
  }

  /** Sends until acked; throws only for a refusal that no retry can change, or when the client closes. */
  private async deliver(entry: OutboxEntry): Promise<ServerFrameOf<'ack'>> {
    const { clientMsgId, to, threadId, text } = entry;
    const frame = { action: 'sendMessage' as const, clientMsgId, text, ...(to === undefined ? {} : { to }), ...(threadId === undefined ? {} : { threadId }) };
    const waitForAck = new Promise<ServerFrameOf<'ack'>>((resolve) => this.acks.set(clientMsgId, resolve));
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const reply = await Promise.race([this.options.request(frame, this.options.ackTimeoutMs), waitForAck]);
          if (reply.type === 'ack') return reply;
          throw new ProtocolError('internal', `expected an ack, got ${reply.type}`);
        } catch (error) {
          if (error instanceof ClientClosedError) throw error;
          if (error instanceof ProtocolError && !RETRIED_CODES.has(error.code)) throw error;
          // A lost connection waits in `request` for the next one; the rest wait here first.
          if (error instanceof ProtocolError || (error as Error).name === 'RequestTimeoutError') {
            // Never sooner than the server said the budget has room again.
            const delay = Math.max(fullJitterDelay(attempt, this.options.retry, this.options.random), (error as ProtocolError).retryAfterMs ?? 0);
            const ack = await Promise.race([new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), delay)), waitForAck]);
            if (ack !== undefined) return ack;
          }
        }
      }
    } finally {
      this.acks.delete(clientMsgId);
    }
  }
}
