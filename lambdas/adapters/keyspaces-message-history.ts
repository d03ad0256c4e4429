import type { types } from 'cassandra-driver';
import type { Client } from '../shared/cassandra-driver';
import { historyBucketOf, type StoredMessage } from '../domain/messages';
import type { HistoryReader } from '../domain/chat/ports';
import type { MessageHistory } from '../domain/ports';

/** Rows asked for per round trip: a page of getMessages at most. */
export const HISTORY_FETCH_SIZE = 100;

/**
 * Thread history in the Keyspaces table of `lib/constructs/history-store.ts`: partitioned by
 * (thread, bucket of 1000 seqs), clustered by seq. Writing a message is an upsert of its row, so
 * a redelivered message is stored once.
 */
export class KeyspacesMessageHistory implements MessageHistory, HistoryReader {
  private readonly insert: string;
  private readonly selectRange: string;

  constructor(
    private readonly client: Client,
    keyspace: string,
    table: string,
  ) {
    this.insert =
      `INSERT INTO "${keyspace}"."${table}" ` +
      '(thread_id, bucket, seq, message_id, sender_id, client_msg_id, body, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
    this.selectRange =
      `SELECT seq, message_id, sender_id, client_msg_id, body, sent_at FROM "${keyspace}"."${table}" ` +
      'WHERE thread_id = ? AND bucket = ? AND seq >= ? AND seq <= ?';
  }

  /**
   * One range read per bucket the range touches (one, or two at a bucket edge for pages up to
   * 1000), each followed to its last page: Keyspaces ends a page once it has read 1 MB, whatever
   * the fetch size ("Paginate results", Keyspaces developer guide), and 100 messages of 4000
   * characters can pass that.
   */
  async range(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
    const messages: StoredMessage[] = [];
    for (let bucket = historyBucketOf(fromSeq); bucket <= historyBucketOf(toSeq); bucket++) {
      let pageState: string | undefined;
      do {
        const result = await this.client.execute(this.selectRange, [threadId, bucket, fromSeq, toSeq], { fetchSize: HISTORY_FETCH_SIZE, pageState });
        messages.push(...result.rows.map((row) => this.messageOf(threadId, row)));
        pageState = result.pageState ?? undefined;
      } while (pageState !== undefined);
    }
    return messages;
  }

  private messageOf(threadId: string, row: types.Row): StoredMessage {
    return {
      threadId,
      seq: Number(row.seq),
      messageId: String(row.message_id),
      senderId: String(row.sender_id),
      clientMsgId: String(row.client_msg_id),
      text: String(row.body),
      sentAt: (row.sent_at as Date).getTime(),
    };
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
