import type { ErrorCode, ReceiptStatus, ServerFrameOf } from '../../protocol';
import type { OutboxEntry } from './outbox-store';

export type MessageState = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

const ORDER: Record<MessageState, number> = { sending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * A message this client sends. Its state only moves forward: `sending → sent → delivered → read`
 * (delivered and read by another member of the thread), or `failed` with the error's `code`.
 */
export class MessageHandle {
  private current: MessageState = 'sending';
  private readonly listeners = new Set<(handle: MessageHandle) => void>();
  private settle!: { resolve: (handle: MessageHandle) => void; reject: (error: Error) => void };
  /** Resolves once the server has the message (`sent`); rejects with the error if it fails. */
  readonly sent: Promise<MessageHandle>;
  threadId: string | undefined;
  seq: number | undefined;
  messageId: string | undefined;
  sentAt: number | undefined;
  error: { readonly code: ErrorCode | 'client'; readonly message: string } | undefined;

  constructor(readonly entry: OutboxEntry) {
    this.threadId = entry.threadId;
    this.sent = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody has to await `sent`: a failure is also a state.
    this.sent.catch(() => undefined);
  }

  get clientMsgId(): string {
    return this.entry.clientMsgId;
  }

  get text(): string {
    return this.entry.text;
  }

  get state(): MessageState {
    return this.current;
  }

  /** Calls `listener` on every state change; returns the function that stops it. */
  onChange(listener: (handle: MessageHandle) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  markSent(ack: ServerFrameOf<'ack'>): void {
    if (this.current !== 'sending') return;
    Object.assign(this, { threadId: ack.threadId, seq: ack.seq, messageId: ack.messageId, sentAt: ack.sentAt });
    this.move('sent');
    this.settle.resolve(this);
  }

  markReceipt(status: ReceiptStatus): void {
    if (this.current === 'sending' || this.current === 'failed' || ORDER[status] <= ORDER[this.current]) return;
    this.move(status);
  }

  markFailed(error: Error & { code?: ErrorCode }): void {
    if (this.current !== 'sending') return;
    this.error = { code: error.code ?? 'client', message: error.message };
    this.move('failed');
    this.settle.reject(error);
  }

  private move(state: MessageState): void {
    this.current = state;
    for (const listener of [...this.listeners]) listener(this);
  }
}
