import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { BATCH_WRITE_SIZE, DynamoDbStagedMessages } from '../adapters/dynamodb-staged-messages';
import { KeyspacesMessageHistory } from '../adapters/keyspaces-message-history';
import { storedMessageSchema, type StoredMessage } from '../domain/messages';
import { describeIssues } from '../domain/protocol';
import { documentClient } from '../shared/clients/dynamodb';
import { cassandraClient } from '../shared/clients/keyspaces';
import { env, loadConfig } from '../shared/config';
import { faultPoint } from '../shared/fault-points';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  HISTORY_KEYSPACE: env.name(),
  MESSAGES_TABLE: env.name(),
  THREADS_TABLE: env.name(),
});
const history = new KeyspacesMessageHistory(cassandraClient, config.HISTORY_KEYSPACE, config.MESSAGES_TABLE);
const staged = new DynamoDbStagedMessages(documentClient, config.THREADS_TABLE);
const processor = new BatchProcessor(EventType.SQS);

/** A queue record that can never be stored; it is left to the queue's redrive to move it to the DLQ. */
class UnreadableMessageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableMessageError';
  }
}

function readMessage(record: SQSRecord): StoredMessage {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new UnreadableMessageError('body is not JSON');
  }
  const message = storedMessageSchema.safeParse(body);
  if (!message.success) throw new UnreadableMessageError(describeIssues(message.error));
  return message.data;
}

/** A message history took, with the queue record that carried it. */
interface Persisted {
  readonly sqsMessageId: string;
  readonly message: StoredMessage;
}

/**
 * Releases staged copies as history takes their messages, 25 a BatchWriteItem: a chunk's deletes
 * start as soon as its 25th message is stored, while the batch's other inserts are still running,
 * and the rest go once every insert has answered. A copy is released only after its own insert.
 */
class Releases {
  private pending: Persisted[] = [];
  private readonly running: Array<Promise<Persisted[]>> = [];

  add(persisted: Persisted): void {
    this.pending.push(persisted);
    if (this.pending.length >= BATCH_WRITE_SIZE) this.flush();
  }

  /** Releases what is left and waits for every chunk; returns what could not be released. */
  async settle(): Promise<Persisted[]> {
    this.flush();
    return (await Promise.all(this.running)).flat();
  }

  private flush(): void {
    const chunk = this.pending.splice(0);
    // A chunk whose release failed outright counts as not released (its messages are retried), and
    // is never left a rejected promise nobody awaits yet, which would end the execution environment.
    if (chunk.length > 0) this.running.push(release(chunk).catch(() => chunk));
  }
}

async function release(chunk: readonly Persisted[]): Promise<Persisted[]> {
  // History has them, their copies are still staged: a death here leaves both, and SQS's retry releases them.
  faultPoint('persist.historyWritten');
  const unreleased = await staged.release(chunk.map(({ message }) => message));
  return chunk.filter(({ message }) => unreleased.some((key) => key.threadId === message.threadId && key.seq === message.seq));
}

async function persist(record: SQSRecord, releases: Releases): Promise<void> {
  let message: StoredMessage | undefined;
  try {
    message = readMessage(record);
    await history.append(message);
  } catch (error) {
    const unreadable = error instanceof UnreadableMessageError;
    metrics.addMetric(unreadable ? 'UnreadableMessages' : 'PersistFailures', MetricUnit.Count, 1);
    logger.error(unreadable ? 'message cannot be stored' : 'message not stored; it will be retried', {
      sqsMessageId: record.messageId,
      threadId: message?.threadId,
      messageId: message?.messageId,
      receiveCount: record.attributes.ApproximateReceiveCount,
      error: error as Error,
    });
    throw error;
  }
  releases.add({ sqsMessageId: record.messageId, message });
}

/**
 * Writes messages from the queue to the history, each on its own, and releases their staged
 * copies (the outbox's, in the threads table) in batch deletes as they are stored: a copy lives
 * until history has its message. The messages that fail either step are reported back (partial
 * batch response), so SQS retries only those (history's insert is idempotent) and, after a few
 * receives, moves them to the dead-letter queue. (Delivery and members' thread rows are the
 * relay's: `outbox-relay.ts`.)
 */
export const handler = instrumented(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const releases = new Releases();
  // When every record fails, Powertools throws, and history took none of them: nothing to release.
  const response = await processPartialResponse(event, (record: SQSRecord) => persist(record, releases), processor);
  const notReleased = await releases.settle();
  const persisted = event.Records.length - response.batchItemFailures.length;
  if (persisted > 0) metrics.addMetric('MessagesPersisted', MetricUnit.Count, persisted);
  if (notReleased.length > 0) {
    metrics.addMetric('StagedCopiesNotReleased', MetricUnit.Count, notReleased.length);
    logger.error('staged copies not released; their messages will be retried', { count: notReleased.length });
  }
  return { batchItemFailures: [...response.batchItemFailures, ...notReleased.map(({ sqsMessageId }) => ({ itemIdentifier: sqsMessageId }))] };
});
