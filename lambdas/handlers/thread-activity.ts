import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoDbThreadStore } from '../adapters/dynamodb-thread-store';
import { advanceThreadActivity } from '../domain/chat/thread-activity';
import * as z from '../domain/schema';
import { documentClient } from '../shared/clients/dynamodb';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { loadConfig } from '../shared/config';
import { readStreamRecords, retryFrom, streamAttribute } from '../shared/dynamodb-stream';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig(chatTablesEnvironment);
const threads = new DynamoDbThreadStore(documentClient, chatTablesOf(config));

/** A staged message as the threads table's stream carries it (see `lambdas/adapters/dynamodb-thread-store.ts`). */
const stagedMessageRecord = z.object({
  eventName: z.literal('INSERT'),
  dynamodb: z.object({
    SequenceNumber: z.string().check(z.minLength(1)),
    NewImage: z.object({
      threadId: streamAttribute.string(),
      sk: z.object({ S: z.string().check(z.startsWith('msg#')) }),
      seq: streamAttribute.number(),
      sentAt: streamAttribute.number(),
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
  const staged = readStreamRecords(event, stagedMessageRecord, { metric: 'UnreadableThreadChanges', what: 'thread change' }).map(
    ({ record, sequenceNumber }) => {
      const image = record.dynamodb.NewImage;
      return { message: { threadId: image.threadId.S, seq: image.seq, sentAt: image.sentAt }, sequenceNumber };
    },
  );

  const report = await advanceThreadActivity({ messages: staged.map(({ message }) => message), threads });
  for (const { threadId, error } of report.failures) logger.error('thread activity not advanced; to be retried', { threadId, error: error as Error });
  metrics.addMetric('ThreadsAdvanced', MetricUnit.Count, report.threadsAdvanced);

  const failed = new Set(report.failures.map(({ threadId }) => threadId));
  return retryFrom(staged, ({ message }) => failed.has(message.threadId));
});
