import { randomUUID } from 'node:crypto';
import { Client, types } from 'cassandra-driver';
import { KeyspacesMessageHistory } from '../../lambdas/adapters/keyspaces-message-history';
import type { StoredMessage } from '../../lambdas/domain/messages';
import type { InvocationRecord } from '../../local-cloud/services/lambda/metering';
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
  /** Where a batch's time went through the function, ms a batch on average (from the local cloud's meter). */
  readonly stages: PersistenceStages;
}

export interface PersistenceStages {
  /** From the bench's invoke to its answer: the local Lambda's invoke path and the function. */
  readonly roundTripMs: number;
  /** The handler's duration, as Lambda bills it. */
  readonly functionMs: number;
  /** The function's CPU time. */
  readonly functionCpuMs: number;
  /** From the first insert's start to the last one's answer (the inserts run at once). */
  readonly insertsMs: number;
  /** From the first BatchWriteItem's start to the last one's answer (they overlap the inserts at batch sizes over 25). */
  readonly releaseMs: number;
  /** Of the release, the time after the last insert answered: what it adds to the batch. */
  readonly releaseAfterInsertsMs: number;
}

const average = (values: readonly number[]) => Math.round((values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)) * 10) / 10;

/** The stages of the function's invocations since the meter was reset, ms a batch on average. */
export function stagesOf(invocations: readonly InvocationRecord[], logicalId: string, roundTrips: readonly number[]): PersistenceStages {
  const spans = invocations
    .filter((invocation) => invocation.logicalId === logicalId)
    .map((invocation) => {
      const inserts = invocation.calls.filter((call) => call.service === 'Keyspaces');
      const releases = invocation.calls.filter((call) => call.operation === 'BatchWriteItem');
      const span = (calls: typeof inserts) => (calls.length === 0 ? 0 : Math.max(...calls.map((call) => call.end)) - Math.min(...calls.map((call) => call.start)));
      const lastInsert = Math.max(...inserts.map((call) => call.end));
      return {
        durationMs: invocation.durationMs,
        cpuMs: invocation.cpuMs ?? 0,
        insertsMs: span(inserts),
        releaseMs: span(releases),
        releaseAfterInsertsMs: releases.length === 0 ? 0 : Math.max(0, Math.max(...releases.map((call) => call.end)) - lastInsert),
      };
    });
  return {
    roundTripMs: average(roundTrips),
    functionMs: average(spans.map((span) => span.durationMs)),
    functionCpuMs: average(spans.map((span) => span.cpuMs)),
    insertsMs: average(spans.map((span) => span.insertsMs)),
    releaseMs: average(spans.map((span) => span.releaseMs)),
    releaseAfterInsertsMs: average(spans.map((span) => span.releaseAfterInsertsMs)),
  };
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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

/** Runs `work` on every item, `concurrency` at a time; returns the milliseconds it took. */
async function inLanes<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
  return now() - started;
}

/**
 * Messages a second through the persistence function into Cassandra, invoked with SQS batches of
 * each size (as its event source mapping would, `concurrency` batches at once), beside the floor:
 * the same rows written by `cassandra-driver` straight from here (through the function's own
 * history adapter), batch by batch, each batch's rows in parallel, as the function writes them.
 *
 * Fair both ways: the same number of rows of the same size, at the same consistency (LOCAL_QUORUM,
 * prepared), `concurrency` batches in flight on each side; both warm before their clock starts
 * (as many execution environments started, connected and prepared as batches run at once, and the
 * floor's statement prepared); each side's input built before its clock starts (the SQS events, as
 * the poller would hand them, and the floor's messages). What only the function does is what it
 * must: parse and validate each record, insert through the local cloud's Keyspaces IAM proxy, and
 * release the staged copies (one BatchWriteItem of deletes per 25 messages).
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
  const roundTrips: number[] = [];
  const invoke = async (event: ReturnType<typeof sqsEvent>) => {
    const started = now();
    const result = (await cloud.invoke(persist.logicalId, event)) as { batchItemFailures?: unknown[] } | null;
    if (result?.batchItemFailures?.length) throw new Error(`the persistence function failed ${result.batchItemFailures.length} records`);
    roundTrips.push(now() - started);
  };
  try {
    await driver.connect();
    // The function's own adapter on a plain driver: the same statement and values, without Lambda.
    const direct = new KeyspacesMessageHistory(driver, keyspace, table);
    const results: PersistenceResult[] = [];
    for (const batchSize of batchSizes) {
      // Warm both sides: `concurrency` environments at once, twice (each connected and its statement prepared), and the floor's statement.
      for (let round = 0; round < 2; round++) {
        await Promise.all(Array.from({ length: concurrency }, (_, lane) => invoke(sqsEvent(messagesFor(`${runId}-warm-${batchSize}-${round}-${lane}`, batchSize)))));
      }
      await Promise.all(messagesFor(`${runId}-raw-warm-${batchSize}`, batchSize).map((message) => direct.append(message)));

      const events = chunks(messagesFor(`${runId}-lambda-${batchSize}`, messages), batchSize).map(sqsEvent);
      await cloud.resetMeter();
      roundTrips.length = 0;
      const lambdaMs = await inLanes(events, concurrency, invoke);
      const stages = stagesOf((await cloud.meter()).invocations, persist.logicalId, roundTrips);
      const rawBatches = chunks(messagesFor(`${runId}-raw-${batchSize}`, messages), batchSize);
      const rawMs = await inLanes(rawBatches, concurrency, async (batch) => {
        await Promise.all(batch.map((message) => direct.append(message)));
      });
      const lambdaPerSecond = Math.round(messages / (lambdaMs / 1000));
      const rawDriverPerSecond = Math.round(messages / (rawMs / 1000));
      results.push({ batchSize, messages, concurrency, lambdaPerSecond, rawDriverPerSecond, ratioToFloor: Math.round((lambdaPerSecond / rawDriverPerSecond) * 100) / 100, stages });
    }
    return results;
  } finally {
    await driver.shutdown();
  }
}
