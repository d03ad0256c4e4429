import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { describeIssues } from '../domain/protocol';
import * as z from '../domain/schema';
import { logger, metrics } from './observability';

/** Attribute values as a stream's images carry them. */
export const streamAttribute = {
  string: () => z.object({ S: z.string().check(z.minLength(1)) }),
  number: () =>
    z.pipe(
      z.object({ N: z.string() }),
      z.transform(({ N }) => Number(N)),
    ),
};

/**
 * The records of a stream batch that `schema` reads (it must read each record's sequence number),
 * each with that number. A record it cannot read is counted (`metric`), logged and skipped:
 * retrying it would hold up the whole shard.
 */
export function readStreamRecords<Schema extends z.ZodMiniType<{ dynamodb: { SequenceNumber: string } }>>(
  event: DynamoDBStreamEvent,
  schema: Schema,
  unreadable: { readonly metric: string; readonly what: string },
): Array<{ record: z.infer<Schema>; sequenceNumber: string }> {
  const read: Array<{ record: z.infer<Schema>; sequenceNumber: string }> = [];
  for (const raw of event.Records) {
    const record = schema.safeParse(raw);
    if (!record.success) {
      metrics.addMetric(unreadable.metric, MetricUnit.Count, 1);
      logger.error(`${unreadable.what} unreadable, skipped`, { eventID: raw.eventID, reason: describeIssues(record.error) });
      continue;
    }
    read.push({ record: record.data, sequenceNumber: record.data.dynamodb.SequenceNumber });
  }
  return read;
}

/** The batch response that has Lambda retry from the first of the items that `failed` picks. */
export function retryFrom<Item extends { readonly sequenceNumber: string }>(items: readonly Item[], failed: (item: Item) => boolean): DynamoDBBatchResponse {
  return { batchItemFailures: items.filter(failed).map(({ sequenceNumber }) => ({ itemIdentifier: sequenceNumber })) };
}
