import type { StagedKey, StagedMessages } from '../../lambdas/domain/chat/ports';
import type { StoredMessage } from '../../lambdas/domain/messages';
import type { InMemoryThreadStore } from './in-memory-chat';

const keyOf = ({ threadId, seq }: StagedKey) => `${threadId}#${seq}`;

/** The outbox's contract over an in-memory thread store's staged messages, for domain tests. */
export class InMemoryStagedMessages implements StagedMessages {
  readonly markedDelivered = new Set<string>();
  /** Every call, in order, to check what comes before what. */
  readonly calls: string[] = [];

  constructor(private readonly threads: InMemoryThreadStore) {}

  private find(key: StagedKey): StoredMessage | undefined {
    return this.threads.staged.get(key.threadId)?.find((message) => message.seq === key.seq);
  }

  isMarked(key: StagedKey): boolean {
    return this.markedDelivered.has(keyOf(key));
  }

  async staged(key: StagedKey): Promise<{ message: StoredMessage; delivered: boolean } | undefined> {
    this.calls.push(`staged ${keyOf(key)}`);
    const message = this.find(key);
    return message && { message, delivered: this.isMarked(key) };
  }

  async undelivered(keys: readonly StagedKey[]): Promise<StoredMessage[]> {
    this.calls.push(`undelivered ${keys.map(keyOf).join(' ')}`);
    return keys.map((key) => this.find(key)).filter((message): message is StoredMessage => message !== undefined && !this.isMarked(message));
  }

  async markDelivered(key: StagedKey): Promise<void> {
    this.calls.push(`mark ${keyOf(key)}`);
    if (this.find(key)) this.markedDelivered.add(keyOf(key));
  }

  async release(keys: readonly StagedKey[]): Promise<StagedKey[]> {
    this.calls.push(`release ${keys.map(keyOf).join(' ')}`);
    const released = new Set(keys.map(keyOf));
    for (const [threadId, messages] of this.threads.staged) {
      this.threads.staged.set(threadId, messages.filter((message) => !released.has(keyOf(message))));
    }
    return [];
  }
}
