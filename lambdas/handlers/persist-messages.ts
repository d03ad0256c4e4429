import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { KeyspacesMessageHistory } from '../adapters/keyspaces-message-history';
import { storedMessageSchema, type StoredMessage } from '../domain/messages';
import { describeIssues } from '../domain/protocol';
import { documentClient } from '../shared/clients/dynamodb';
import { cassandraClient } from '../shared/clients/keyspaces';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  HISTORY_KEYSPACE: env.name(),
  MESSAGES_TABLE: env.name(),
  THREADS_TABLE: env.name(),
  USER_THREADS_TABLE: env.name(),
  SEND_RECORDS_TABLE: env.name(),
});
const history = new KeyspacesMessageHistory(cassandraClient, config.HISTORY_KEYSPACE, config.MESSAGES_TABLE);
const threads = new DynamoDbThreadStore(documentClient, {
  threads: config.THREADS_TABLE,
  userThreads: config.USER_THREADS_TABLE,
  sendRecords: config.SEND_RECORDS_TABLE,
});
const processor = new BatchProcessor(EventType.SQS);

/** A queue record that can never be stored; it is left to the queue's redrive to move it to the DLQ. */
class UnreadableMessageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableMessageError';
  }
}

/** Reads a queue record once: the message it carries, or why it can never be stored. */
function readMessage(record: SQSRecord): StoredMessage | UnreadableMessageError {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return new UnreadableMessageError('body is not JSON');
  }
  const message = storedMessageSchema.safeParse(body);
  return message.success ? message.data : new UnreadableMessageError(describeIssues(message.error));
}

/** The batch being processed, each record read once, and the newest seq of each of its threads. */
let batch = { messages: new Map<string, StoredMessage | UnreadableMessageError>(), newestSeq: new Map<string, number>() };

function readBatch(records: SQSRecord[]): typeof batch {
  const messages = new Map(records.map((record) => [record.messageId, readMessage(record)]));
  const newestSeq = new Map<string, number>();
  for (const message of messages.values()) {
    if (!(message instanceof UnreadableMessageError) && message.seq > (newestSeq.get(message.threadId) ?? 0)) newestSeq.set(message.threadId, message.seq);
  }
  return { messages, newestSeq };
}

/** Only the newest message of each thread in the batch moves the members' rows. */
async function advanceMembers(message: StoredMessage): Promise<void> {
  if (batch.newestSeq.get(message.threadId) !== message.seq) return;
  await threads.advanceActivity(message.threadId, await threads.membersOf(message.threadId), message.seq, message.sentAt);
}

async function persist(record: SQSRecord): Promise<void> {
  const message = batch.messages.get(record.messageId) ?? readMessage(record);
  if (message instanceof UnreadableMessageError) throw message;
  // Side by side: a thread row may point at a message history does not have yet, since getMessages
  // fills that from the staged copy; both writes are idempotent, so a retried record redoes both.
  await Promise.all([history.append(message), advanceMembers(message)]);
}

async function persistAndCount(record: SQSRecord): Promise<void> {
  try {
    await persist(record);
    metrics.addMetric('MessagesPersisted', MetricUnit.Count, 1);
  } catch (error) {
    const unreadable = error instanceof UnreadableMessageError;
    metrics.addMetric(unreadable ? 'UnreadableMessages' : 'PersistFailures', MetricUnit.Count, 1);
    logger.error(unreadable ? 'message cannot be stored' : 'message not stored; it will be retried', {
      sqsMessageId: record.messageId,
      receiveCount: record.attributes.ApproximateReceiveCount,
      error: error as Error,
    });
    throw error;
  }
}

/**
 * Writes messages from the queue to the history, and moves each member's thread row (its place
 * in listThreads) to the newest message of the batch, each message on its own: the ones that fail are
 * reported back (partial batch response), so SQS retries only those and, after a few receives,
 * moves them to the dead-letter queue.
 */
export const handler = instrumented((event: SQSEvent): Promise<SQSBatchResponse> => {
  batch = readBatch(event.Records);
  return processPartialResponse(event, persistAndCount, processor);
});
