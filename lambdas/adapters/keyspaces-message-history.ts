import type { Client } from 'cassandra-driver';
import { historyBucketOf, type StoredMessage } from '../domain/messages';
import type { MessageHistory } from '../domain/ports';

/**
 * Thread history in the Keyspaces table of `lib/constructs/history-store.ts`: partitioned by
 * (thread, bucket of 1000 seqs), clustered by seq. Writing a message is an upsert of its row, so
 * a redelivered message is stored once.
 */
export class KeyspacesMessageHistory implements MessageHistory {
  private readonly insert: string;

  constructor(
    private readonly client: Client,
    keyspace: string,
    table: string,
  ) {
    this.insert =
      `INSERT INTO "${keyspace}"."${table}" ` +
      '(thread_id, bucket, seq, message_id, sender_id, client_msg_id, body, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
  }

  async append(message: StoredMessage): Promise<void> {
    await this.client.execute(this.insert, [
      message.threadId,
      historyBucketOf(message.seq),
      message.seq,
      message.messageId,
      message.senderId,
      message.clientMsgId,
      message.text,
      new Date(message.sentAt),
    ]);
  }
}
