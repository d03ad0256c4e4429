/**
 * The batching windows of the local Lambda pollers, against AWS's documented behaviour: a batch
 * fills until the batch size or the end of the window (which begins when the previous invocation
 * ends), and a stream shard is polled four times a second, also within a window.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbStreamEventSource } from '../../../../local-cloud/services/lambda/dynamodb-stream-event-source';
import type { LambdaService } from '../../../../local-cloud/services/lambda/lambda-service';
import { Meter } from '../../../../local-cloud/services/lambda/metering';
import { PollerEvents } from '../../../../local-cloud/services/lambda/poller-events';
import { SqsEventSource } from '../../../../local-cloud/services/lambda/sqs-event-source';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A function that records the batches it is invoked with. */
function recordingLambda() {
  const batches: Array<{ at: number; records: unknown[] }> = [];
  const lambda = {
    pollerEvents: new PollerEvents(),
    functionNameOf: () => 'fn',
    invoke: async (_ref: string, event: { Records: unknown[] }) => {
      batches.push({ at: Date.now(), records: event.Records });
      return { batchItemFailures: [] };
    },
  } as unknown as LambdaService;
  return { lambda, batches };
}

/** A queue in memory that answers ReceiveMessage as SQS does, long polls included. */
function fakeQueue() {
  const available: Message[] = [];
  let arrived: (() => void) | undefined;
  const client = {
    send: async (command: unknown) => {
      if (command instanceof DeleteMessageBatchCommand) return { Successful: (command.input.Entries ?? []).map((entry) => ({ Id: entry.Id })) };
      if (!(command instanceof ReceiveMessageCommand)) throw new Error('unexpected command');
      const { MaxNumberOfMessages = 1, WaitTimeSeconds = 0 } = command.input;
      if (available.length === 0 && WaitTimeSeconds > 0) {
        await Promise.race([new Promise<void>((resolve) => (arrived = resolve)), sleep(WaitTimeSeconds * 1000)]);
      }
      return { Messages: available.splice(0, MaxNumberOfMessages) };
    },
  } as unknown as SQSClient;
  let sent = 0;
  const send = () => {
    sent += 1;
    available.push({ MessageId: `m${sent}`, ReceiptHandle: `r${sent}`, Body: '{}', Attributes: { SentTimestamp: String(Date.now()), ApproximateReceiveCount: '1' } });
    arrived?.();
  };
  return { client, send };
}

describe('the SQS poller', () => {
  const start = (batchSize: number, maximumBatchingWindowSeconds: number) => {
    const queue = fakeQueue();
    const { lambda, batches } = recordingLambda();
    const mapping = { functionRef: 'fn', queueUrl: 'q', queueArn: 'arn:aws:sqs:us-east-1:000000000000:q', batchSize, maximumBatchingWindowSeconds, reportBatchItemFailures: true };
    const source = new SqsEventSource(mapping, queue.client, lambda, 'us-east-1', () => undefined, new Meter());
    source.start();
    return { queue, batches, source };
  };

  it('gathers messages that arrive one by one for its batching window instead of invoking with each', async () => {
    const { queue, batches, source } = start(100, 1);
    try {
      // 8 messages over about 400 ms: well inside the 1 s window even when timers run late on a busy machine.
      for (let i = 0; i < 8; i++) {
        queue.send();
        await sleep(50);
      }
      const deadline = Date.now() + 5000;
      while (batches.reduce((sum, batch) => sum + batch.records.length, 0) < 8 && Date.now() < deadline) await sleep(50);
    } finally {
      await source.stop();
    }
    expect(batches.reduce((sum, batch) => sum + batch.records.length, 0)).toBe(8);
    // Two pollers, each with its own window, as Lambda runs several.
    expect(batches.length).toBeLessThanOrEqual(2);
  });

  it('hands over a message that arrives after an idle window at once', async () => {
    const { queue, batches, source } = start(100, 1);
    let sentAt = 0;
    try {
      await sleep(1500);
      sentAt = Date.now();
      queue.send();
      const deadline = Date.now() + 3000;
      while (batches.length === 0 && Date.now() < deadline) await sleep(20);
    } finally {
      await source.stop();
    }
    expect(batches).toHaveLength(1);
    expect(batches[0].at - sentAt).toBeLessThan(500);
  });
});

describe('the DynamoDB stream poller', () => {
  it('polls a shard four times a second within a batching window, not as fast as the stream answers', async () => {
    const { lambda, batches } = recordingLambda();
    let getRecords = 0;
    const dynamodb = {
      send: async (command: unknown) => {
        if (command instanceof DescribeTableCommand) return { Table: { LatestStreamArn: 'stream' } };
        throw new Error('unexpected command');
      },
    } as unknown as DynamoDBClient;
    const streams = {
      send: async (command: unknown) => {
        if (command instanceof DescribeStreamCommand) return { StreamDescription: { Shards: [{ ShardId: 's1', SequenceNumberRange: { StartingSequenceNumber: '1' } }] } };
        if (command instanceof GetShardIteratorCommand) return { ShardIterator: 'it' };
        if (command instanceof GetRecordsCommand) {
          getRecords += 1;
          const Records = getRecords === 1 ? [{ eventID: 'e1', eventName: 'INSERT', dynamodb: { SequenceNumber: '1', ApproximateCreationDateTime: new Date() } }] : [];
          return { Records, NextShardIterator: 'it' };
        }
        throw new Error('unexpected command');
      },
    } as unknown as DynamoDBStreamsClient;
    const mapping = {
      functionRef: 'fn',
      tableName: 'T',
      streamArn: 'stream',
      startingPosition: 'LATEST' as const,
      batchSize: 100,
      maximumBatchingWindowSeconds: 1,
      reportBatchItemFailures: true,
      maximumRetryAttempts: -1,
      filter: () => true,
    };
    // The polls made until the batch was handed over: those after it depend on how soon this test stops the poller.
    let pollsBeforeInvoke = 0;
    const invoke = lambda.invoke.bind(lambda);
    lambda.invoke = (async (...args: Parameters<LambdaService['invoke']>) => {
      pollsBeforeInvoke = getRecords;
      return invoke(...args);
    }) as LambdaService['invoke'];
    const source = new DynamoDbStreamEventSource(mapping, dynamodb, streams, lambda, 'us-east-1', () => undefined);
    await source.start();
    try {
      const deadline = Date.now() + 3000;
      while (batches.length === 0 && Date.now() < deadline) await sleep(20);
    } finally {
      await source.stop();
    }
    expect(batches).toHaveLength(1);
    // The record, then empty polls 250 ms apart until the window closes: about five in all.
    expect(pollsBeforeInvoke).toBeGreaterThanOrEqual(2);
    expect(pollsBeforeInvoke).toBeLessThanOrEqual(7);
  });
});
