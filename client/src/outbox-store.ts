/** A message waiting for its ack, as the outbox keeps it. */
export interface OutboxEntry {
  /** The idempotency key: every retry of this message carries it. */
  readonly clientMsgId: string;
  readonly to?: string;
  readonly threadId?: string;
  readonly text: string;
  /** Epoch ms; entries are sent in this order. */
  readonly createdAt: number;
}

/**
 * Where the outbox keeps unacked messages, so that they survive what the client does not (a page
 * reload, an app restart). One store per user: the client sends everything it loads as that user.
 * The web app implements it with IndexedDB; `MemoryOutboxStore` keeps entries for the client's lifetime.
 */
export interface OutboxStore {
  load(): Promise<OutboxEntry[]>;
  put(entry: OutboxEntry): Promise<void>;
  delete(clientMsgId: string): Promise<void>;
}

export class MemoryOutboxStore implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>();

  async load(): Promise<OutboxEntry[]> {
    return [...this.entries.values()];
  }

  async put(entry: OutboxEntry): Promise<void> {
    this.entries.set(entry.clientMsgId, entry);
  }

  async delete(clientMsgId: string): Promise<void> {
    this.entries.delete(clientMsgId);
  }
}
