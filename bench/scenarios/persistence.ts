import { randomUUID } from 'node:crypto';
import { Client, types } from 'cassandra-driver';
import { KeyspacesMessageHistory } from '../../lambdas/adapters/keyspaces-message-history';
import type { StoredMessage } from '../../lambdas/domain/messages';
import type { CloudClient } from '../cloud';
import { now } from '../bench-user';

export interface PersistenceResult {
  readonly batchSize: number;
  readonly messages: number;
  /** Batches in flight at once, through the function and for the floor alike. */
  readonly concurrency: number;
  readonly lambdaPerSecond: number;
  readonly rawDriverPerSecond: number;
  /** Lambda's rate over the floor's. */
  readonly ratioToFloor: number;
}

const THREADS = 20;

function messagesFor(label: string, count: number): StoredMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    threadId: `bench-${label}-${index % THREADS}`,
    seq: Math.floor(index / THREADS) + 1,
    messageId: randomUUID(),
    senderId: 'bench-sender',
    clientMsgId: `c${index}`,
    text: `persistence benchmark message ${index}, about the length of a chat line`,
    sentAt: Date.now(),
  }));
}

/** An SQS event as Lambda's poller hands it to the persistence function. */
function sqsEvent(messages: readonly StoredMessage[]) {
  return {
    Records: messages.map((message) => ({
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body: JSON.stringify(message),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:benchmark',
      awsRegion: 'us-east-1',
    })),
  };
}

async function inBatches<T>(items: readonly T[], batchSize: number, concurrency: number, work: (batch: T[]) => Promise<void>): Promise<number> {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += batchSize) batches.push(items.slice(start, start + batchSize));
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) await work(batches[next++]);
    }),
  );
  return now() - started;
}

/**
 * Messages a second through the persistence function into Cassandra, invoked with SQS batches of
 * each size (as its event source mapping would, `concurrency` batches at once), beside the floor:
 * the same rows written by `cassandra-driver` straight from here (through the function's own
 * history adapter), batch by batch, each batch's rows in parallel, as the function writes them.
 */
export async function measurePersistence(
  cloud: CloudClient,
  batchSizes: readonly number[],
  messages: number,
  concurrency: number,
  runId: string,
): Promise<PersistenceResult[]> {
  const persist = await cloud.functionNamed('MessagePipelinePersist');
  const { HISTORY_KEYSPACE: keyspace, MESSAGES_TABLE: table } = persist.environment;
  const { cassandra } = await cloud.standIns();
  const driver = new Client({
    contactPoints: [cassandra.endpoint],
    localDataCenter: 'datacenter1',
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
  });
  try {
    await driver.connect();
    // The function's own adapter on a plain driver: the same statement and values, without Lambda.
    const direct = new KeyspacesMessageHistory(driver, keyspace, table);
    const results: PersistenceResult[] = [];
    for (const batchSize of batchSizes) {
      // Warm the function first (execution environments started, its statement prepared); the raw driver prepares in its first batch.
      await cloud.invoke(persist.logicalId, sqsEvent(messagesFor(`${runId}-warm-${batchSize}`, batchSize)));
      const viaLambda = messagesFor(`${runId}-lambda-${batchSize}`, messages);
      const lambdaMs = await inBatches(viaLambda, batchSize, concurrency, async (batch) => {
        const result = (await cloud.invoke(persist.logicalId, sqsEvent(batch))) as { batchItemFailures?: unknown[] } | null;
        if (result?.batchItemFailures?.length) throw new Error(`the persistence function failed ${result.batchItemFailures.length} records`);
      });
      const rawMs = await inBatches(messagesFor(`${runId}-raw-${batchSize}`, messages), batchSize, concurrency, async (batch) => {
        await Promise.all(batch.map((message) => direct.append(message)));
      });
      const lambdaPerSecond = Math.round(messages / (lambdaMs / 1000));
      const rawDriverPerSecond = Math.round(messages / (rawMs / 1000));
      results.push({ batchSize, messages, concurrency, lambdaPerSecond, rawDriverPerSecond, ratioToFloor: Math.round((lambdaPerSecond / rawDriverPerSecond) * 100) / 100 });
    }
    return results;
  } finally {
    await driver.shutdown();
  }
}
