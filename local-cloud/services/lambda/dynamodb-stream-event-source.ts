import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type DynamoDBStreamsClient,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { EventFilter } from './event-filter';
import type { LambdaService } from './lambda-service';
import { EVENT_SOURCE_MAPPING } from './resource-policy';

/** An `AWS::Lambda::EventSourceMapping` from a DynamoDB stream, as the template declares it. */
export interface DynamoDbStreamMapping {
  readonly functionRef: string;
  /** The table whose stream is read. */
  readonly tableName: string;
  /** The stream ARN as the template's functions see it. */
  readonly streamArn: string;
  readonly startingPosition: 'LATEST' | 'TRIM_HORIZON';
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** -1: until the records expire, as in Lambda. */
  readonly maximumRetryAttempts: number;
  readonly filter: EventFilter;
  /** Where a batch that ran out of retries is described (Lambda's on-failure destination). */
  readonly onFailure?: (body: string) => Promise<void>;
}

/** Lambda polls each shard of a DynamoDB stream four times a second. */
const IDLE_POLL_MS = 250;
const RETRY_DELAY_MS = 500;

/** A record as Lambda hands it to the function. */
function toLambdaRecord(record: StreamRecord, streamArn: string, region: string) {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...record.dynamodb,
      ...(created === undefined ? {} : { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) }),
    },
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
    eventSourceARN: streamArn,
  };
}

type LambdaRecord = ReturnType<typeof toLambdaRecord>;

interface ShardCursor {
  readonly shard: Shard;
  iterator?: string;
  /** Records read and not yet handled: the head of the shard as the function sees it. */
  pending: LambdaRecord[];
  attempts: number;
  closed: boolean;
}

/**
 * Lambda's DynamoDB Streams poller: reads every shard in order (a child shard only after its
 * parent is drained), hands the function batches of the records that pass the mapping's filters,
 * and on failure retries from the first failed record (with `ReportBatchItemFailures`, the lowest
 * reported sequence number) until the retries run out; then the batch is described to the
 * on-failure destination and skipped, as Lambda does.
 */
export class DynamoDbStreamEventSource {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly cursors = new Map<string, ShardCursor>();

  constructor(
    private readonly mapping: DynamoDbStreamMapping,
    private readonly dynamodb: DynamoDBClient,
    private readonly streams: DynamoDBStreamsClient,
    private readonly lambda: LambdaService,
    private readonly region: string,
    private readonly log: (message: string) => void,
  ) {}

  /** Starts reading; resolves once the shards' starting positions are taken, so later writes are seen. */
  async start(): Promise<void> {
    const { Table } = await this.dynamodb.send(new DescribeTableCommand({ TableName: this.mapping.tableName }));
    const streamArn = Table?.LatestStreamArn;
    if (streamArn === undefined) throw new Error(`table ${this.mapping.tableName} has no stream, but ${this.mapping.functionRef} is mapped to one`);
    await this.discoverShards(streamArn, this.mapping.startingPosition);
    this.running = true;
    this.loop = this.poll(streamArn);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Finds shards not seen before; those found at start begin at the mapping's position, later ones at their start. */
  private async discoverShards(streamArn: string, position: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (shard.ShardId === undefined || this.cursors.has(shard.ShardId)) continue;
        const closedBeforeStart = position === 'LATEST' && shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        const cursor: ShardCursor = { shard, pending: [], attempts: 0, closed: closedBeforeStart };
        if (!closedBeforeStart) {
          const { ShardIterator } = await this.streams.send(
            new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: position }),
          );
          cursor.iterator = ShardIterator;
        }
        this.cursors.set(shard.ShardId, cursor);
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  /** A shard is read once its parent (if this poller knows it) is drained, which keeps each key's changes in order. */
  private readable(cursor: ShardCursor): boolean {
    if (cursor.closed) return false;
    const parent = cursor.shard.ParentShardId === undefined ? undefined : this.cursors.get(cursor.shard.ParentShardId);
    return parent === undefined || (parent.closed && parent.pending.length === 0);
  }

  private async poll(streamArn: string): Promise<void> {
    let lastDiscovery = Date.now();
    while (this.running) {
      let busy = false;
      try {
        if (Date.now() - lastDiscovery > 1000) {
          await this.discoverShards(streamArn, 'TRIM_HORIZON');
          lastDiscovery = Date.now();
        }
        for (const cursor of this.cursors.values()) {
          if (!this.running) return;
          if (!this.readable(cursor) && cursor.pending.length === 0) continue;
          try {
            busy = (await this.serviceShard(cursor, streamArn)) || busy;
          } catch (error) {
            // One shard's trouble must not hold up the others.
            await this.recover(cursor, streamArn, error as Error);
          }
        }
      } catch (error) {
        if (!this.running) return;
        this.log(`reading the stream of ${this.mapping.tableName} failed: ${(error as Error).message}`);
      }
      if (!busy) await this.sleep(IDLE_POLL_MS);
    }
  }

  /**
   * After a failed read: an iterator past its life or into trimmed records (as after a restart
   * of DynamoDB Local, whose old shards keep no records) starts again at the oldest record the
   * shard still has; a shard that is gone is closed; anything else is logged and retried.
   */
  private async recover(cursor: ShardCursor, streamArn: string, error: Error): Promise<void> {
    if (!this.running) return;
    if (error.name === 'TrimmedDataAccessException' || error.name === 'ExpiredIteratorException') {
      try {
        const { ShardIterator } = await this.streams.send(
          new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: cursor.shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        cursor.iterator = ShardIterator;
        if (ShardIterator === undefined) cursor.closed = true;
        return;
      } catch (retryError) {
        if ((retryError as Error).name !== 'ResourceNotFoundException' && (retryError as Error).name !== 'TrimmedDataAccessException') throw retryError;
      }
      cursor.closed = true;
      cursor.iterator = undefined;
      return;
    }
    this.log(`reading shard ${cursor.shard.ShardId} of ${this.mapping.tableName}'s stream failed: ${error.message}`);
    await this.sleep(RETRY_DELAY_MS);
  }

  /**
   * Reads what the shard has (up to a batch, within the batching window, which begins when the
   * previous invocation ends) and hands it on; true when it did work.
   */
  private async serviceShard(cursor: ShardCursor, streamArn: string): Promise<boolean> {
    const deadline = Date.now() + this.mapping.maximumBatchingWindowSeconds * 1000;
    while (cursor.pending.length < this.mapping.batchSize && cursor.iterator !== undefined && this.running) {
      const { Records = [], NextShardIterator } = await this.streams.send(
        new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: this.mapping.batchSize - cursor.pending.length }),
      );
      cursor.iterator = NextShardIterator;
      if (NextShardIterator === undefined) cursor.closed = true;
      cursor.pending.push(...Records.map((record) => toLambdaRecord(record, this.mapping.streamArn, this.region)).filter(this.mapping.filter));
      if (Records.length === 0 && (cursor.pending.length === 0 || Date.now() >= deadline)) break;
      // Within the window, at Lambda's polling rate rather than as fast as the stream answers.
      if (Records.length === 0) await this.sleep(Math.min(IDLE_POLL_MS, deadline - Date.now()));
    }
    if (cursor.pending.length === 0) return false;
    await this.deliver(cursor, streamArn);
    return true;
  }

  private async deliver(cursor: ShardCursor, streamArn: string): Promise<void> {
    const batch = cursor.pending.slice(0, this.mapping.batchSize);
    let firstFailed = batch.length;
    const created = batch.at(-1)?.dynamodb.ApproximateCreationDateTime;
    if (created !== undefined) {
      this.lambda.pollerEvents.emit({ kind: 'stream-batch', functionName: this.lambda.functionNameOf(this.mapping.functionRef), at: Date.now(), lastRecordCreatedAt: Number(created) * 1000 });
    }
    try {
      const result = await this.lambda.invoke(this.mapping.functionRef, { Records: batch }, EVENT_SOURCE_MAPPING);
      firstFailed = this.firstFailure(batch, result);
    } catch (error) {
      this.log(`${this.mapping.functionRef} failed a batch of ${batch.length} stream records: ${(error as Error).message}`);
      firstFailed = 0;
    }
    if (firstFailed === batch.length) {
      cursor.pending.splice(0, batch.length);
      cursor.attempts = 0;
      return;
    }
    cursor.pending.splice(0, firstFailed);
    cursor.attempts += 1;
    const { maximumRetryAttempts } = this.mapping;
    if (maximumRetryAttempts >= 0 && cursor.attempts > maximumRetryAttempts) {
      const failed = batch.slice(firstFailed);
      cursor.pending.splice(0, failed.length);
      cursor.attempts = 0;
      await this.reportExhausted(cursor, failed, streamArn);
      return;
    }
    await this.sleep(RETRY_DELAY_MS);
  }

  /** The index of the first record to retry: the batch's length when all succeeded. */
  private firstFailure(batch: LambdaRecord[], result: unknown): number {
    if (!this.mapping.reportBatchItemFailures) return batch.length;
    const failures = (result as { batchItemFailures?: Array<{ itemIdentifier?: unknown }> } | null)?.batchItemFailures ?? [];
    if (failures.length === 0) return batch.length;
    const indexes = failures.map((failure) => batch.findIndex((record) => record.dynamodb.SequenceNumber === failure.itemIdentifier));
    // As in Lambda: an identifier that names no record of the batch fails the whole batch.
    if (indexes.some((index) => index < 0)) return 0;
    return Math.min(...indexes);
  }

  private async reportExhausted(cursor: ShardCursor, failed: LambdaRecord[], streamArn: string): Promise<void> {
    this.log(`${this.mapping.functionRef} ran out of retries on ${failed.length} stream records; skipped them`);
    if (!this.mapping.onFailure) return;
    const arrival = (record: LambdaRecord) => new Date(Number(record.dynamodb.ApproximateCreationDateTime ?? 0) * 1000).toISOString();
    await this.mapping.onFailure(
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: this.mapping.maximumRetryAttempts + 1 },
        version: '1.0',
        timestamp: new Date().toISOString(),
        DDBStreamBatchInfo: {
          shardId: cursor.shard.ShardId,
          startSequenceNumber: failed[0].dynamodb.SequenceNumber,
          endSequenceNumber: failed.at(-1)!.dynamodb.SequenceNumber,
          approximateArrivalOfFirstRecord: arrival(failed[0]),
          approximateArrivalOfLastRecord: arrival(failed.at(-1)!),
          batchSize: failed.length,
          streamArn,
        },
      }),
    );
  }
}
