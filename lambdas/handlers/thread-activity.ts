import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { advanceThreadActivity, type StagedMessage } from '../domain/chat/thread-activity';
import { describeIssues } from '../domain/protocol';
import * as z from '../domain/schema';
import { documentClient } from '../shared/clients/dynamodb';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  THREADS_TABLE: env.name(),
  USER_THREADS_TABLE: env.name(),
  SEND_RECORDS_TABLE: env.name(),
});
const threads = new DynamoDbThreadStore(documentClient, {
  threads: config.THREADS_TABLE,
  userThreads: config.USER_THREADS_TABLE,
  sendRecords: config.SEND_RECORDS_TABLE,
});

const positiveNumber = z.pipe(
  z.object({ N: z.string() }),
  z.transform(({ N }) => Number(N)),
);
/** A staged message as the threads table's stream carries it (see `lambdas/adapters/dynamodb-thread-store.ts`). */
const stagedMessageRecord = z.object({
  eventName: z.literal('INSERT'),
  dynamodb: z.object({
    SequenceNumber: z.string().check(z.minLength(1)),
    NewImage: z.object({
      threadId: z.object({ S: z.string().check(z.minLength(1)) }),
      sk: z.object({ S: z.string().check(z.startsWith('msg#')) }),
      seq: positiveNumber,
      sentAt: positiveNumber,
    }),
  }),
});

/**
 * Reads the threads table's stream (new staged messages only, by event filter) and moves each
 * member's thread row to the newest message of its thread, off the send path and apart from
 * history's writes. A thread whose rows could not be moved fails its records, so that Lambda
 * retries from the first of them; a record that can never be read is logged and skipped.
 */
export const handler = instrumented(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const staged: Array<{ message: StagedMessage; sequenceNumber: string }> = [];
  for (const raw of event.Records) {
    const record = stagedMessageRecord.safeParse(raw);
    if (!record.success) {
      metrics.addMetric('UnreadableThreadChanges', MetricUnit.Count, 1);
      logger.error('thread change unreadable, skipped', { eventID: raw.eventID, reason: describeIssues(record.error) });
      continue;
    }
    const image = record.data.dynamodb.NewImage;
    staged.push({ message: { threadId: image.threadId.S, seq: image.seq, sentAt: image.sentAt }, sequenceNumber: record.data.dynamodb.SequenceNumber });
  }

  const report = await advanceThreadActivity(
    staged.map(({ message }) => message),
    threads,
  );
  for (const { threadId, error } of report.failures) logger.error('thread activity not advanced; to be retried', { threadId, error: error as Error });
  metrics.addMetric('ThreadsAdvanced', MetricUnit.Count, report.threadsAdvanced);

  const failed = new Set(report.failures.map(({ threadId }) => threadId));
  return {
    batchItemFailures: staged.filter(({ message }) => failed.has(message.threadId)).map(({ sequenceNumber }) => ({ itemIdentifier: sequenceNumber })),
  };
});
