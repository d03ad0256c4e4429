import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { KeyspacesMessageHistory } from '../adapters/keyspaces-message-history';
import { storedMessageSchema, type StoredMessage } from '../domain/messages';
import { describeIssues } from '../domain/protocol';
import { cassandraClient } from '../shared/clients/keyspaces';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  HISTORY_KEYSPACE: env.name(),
  MESSAGES_TABLE: env.name(),
});
const history = new KeyspacesMessageHistory(cassandraClient, config.HISTORY_KEYSPACE, config.MESSAGES_TABLE);
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

async function persist(record: SQSRecord): Promise<void> {
  let message: StoredMessage | undefined;
  try {
    message = readMessage(record);
    await history.append(message);
    metrics.addMetric('MessagesPersisted', MetricUnit.Count, 1);
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
}

/**
 * Writes messages from the queue to the history, each on its own: the ones that fail are reported
 * back (partial batch response), so SQS retries only those and, after a few receives, moves them
 * to the dead-letter queue. (Members' thread rows move elsewhere: `thread-activity.ts`.)
 */
export const handler = instrumented((event: SQSEvent): Promise<SQSBatchResponse> => processPartialResponse(event, persist, processor));
