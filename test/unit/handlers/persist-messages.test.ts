import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext } from '../../support/lambda-events';
import { logger } from '../../../lambdas/shared/observability';

const execute = jest.fn();
jest.mock('../../../lambdas/shared/clients/keyspaces', () => ({ cassandraClient: { execute } }));
// The handler reads its config when loaded, so it is loaded after its client is mocked.
process.env.HISTORY_KEYSPACE = 'messenger';
process.env.MESSAGES_TABLE = 'messages';
const { handler } = require('../../../lambdas/handlers/persist-messages') as typeof import('../../../lambdas/handlers/persist-messages');

function record(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 's', ApproximateFirstReceiveTimestamp: '1' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:queue',
    awsRegion: 'us-east-1',
  };
}

const message = (seq: number) => ({
  threadId: 'thread-1',
  seq,
  messageId: `m-${seq}`,
  senderId: 'alice',
  clientMsgId: `c-${seq}`,
  text: 'hi',
  sentAt: 1_764_000_000_000,
});

const persist = (records: SQSRecord[]) => handler({ Records: records } as SQSEvent, lambdaContext);

const dynamodb = mockClient(DynamoDBDocumentClient);

/** The staged copies each BatchWriteItem deleted, as `threadId seq`. */
const released = () =>
  dynamodb
    .commandCalls(BatchWriteCommand)
    .flatMap((call) => call.args[0].input.RequestItems!.threads)
    .map((request) => `${request.DeleteRequest!.Key!.threadId} ${request.DeleteRequest!.Key!.sk}`);

beforeEach(() => {
  execute.mockReset().mockResolvedValue({});
  dynamodb.reset();
  dynamodb.on(BatchWriteCommand).resolves({});
});

describe('persist-messages', () => {
  it('writes each message to its thread bucket and reports no failures', async () => {
    expect(await persist([record('a', message(999)), record('b', message(1000))])).toEqual({ batchItemFailures: [] });
    expect(execute).toHaveBeenCalledTimes(2);
    const [query, params] = execute.mock.calls[0];
    expect(query).toMatch(/^INSERT INTO "messenger"\."messages" \(thread_id, bucket, seq,/);
    expect(params).toEqual(['thread-1', 0, 999, 'm-999', 'alice', 'c-999', 'hi', new Date(1_764_000_000_000)]);
    expect(execute.mock.calls[1][1].slice(0, 3)).toEqual(['thread-1', 1, 1000]);
  });

  it('releases the staged copies of the messages history took, in one batch delete, and touches nothing else', async () => {
    await persist([record('a', message(3)), record('b', message(5))]);
    expect(execute).toHaveBeenCalledTimes(2);
    expect(dynamodb.calls()).toHaveLength(1);
    expect(released().sort()).toEqual(['thread-1 msg#000000000003', 'thread-1 msg#000000000005']);
  });

  it('releases a message the queue delivered twice in one batch with one delete (DynamoDB refuses a batch naming a key twice)', async () => {
    dynamodb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, Array<{ DeleteRequest: { Key: Record<string, string> } }>> }) => {
      const keys = input.RequestItems.threads.map((request) => JSON.stringify(request.DeleteRequest.Key));
      if (new Set(keys).size < keys.length) throw Object.assign(new Error('Provided list of item keys contains duplicates'), { name: 'ValidationException' });
      return {};
    });
    expect(await persist([record('a', message(3)), record('b', message(3)), record('c', message(4))])).toEqual({ batchItemFailures: [] });
    expect(released().sort()).toEqual(['thread-1 msg#000000000003', 'thread-1 msg#000000000004']);
  });

  it('deletes in batches of at most 25', async () => {
    await persist(Array.from({ length: 30 }, (_, index) => record(`r${index}`, message(index + 1))));
    expect(dynamodb.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems!.threads.length)).toEqual([25, 5]);
  });

  it('starts releasing 25 copies once history has their messages while the batch\'s other inserts still run, and never a copy before its own insert', async () => {
    const events: string[] = [];
    let releaseStarted: () => void = () => undefined;
    const firstRelease = new Promise<void>((resolve) => (releaseStarted = resolve));
    execute.mockImplementation(async (_query: string, params: unknown[]) => {
      const seq = params[2] as number;
      // The last five inserts answer only once a release has begun (or after a second, if none does).
      if (seq > 25) await Promise.race([firstRelease, new Promise((resolve) => setTimeout(resolve, 1000))]);
      events.push(`stored ${seq}`);
    });
    dynamodb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, Array<{ DeleteRequest: { Key: { sk: string } } }>> }) => {
      events.push(`release ${input.RequestItems.threads.map((request) => Number(request.DeleteRequest.Key.sk.slice(4))).join(',')}`);
      releaseStarted();
      return {};
    });
    expect(await persist(Array.from({ length: 30 }, (_, index) => record(`r${index}`, message(index + 1))))).toEqual({ batchItemFailures: [] });
    const firstReleaseAt = events.findIndex((event) => event.startsWith('release'));
    expect(firstReleaseAt).toBeLessThan(events.indexOf('stored 26'));
    for (const [at, event] of events.entries()) {
      if (!event.startsWith('release')) continue;
      for (const seq of event.slice('release '.length).split(',')) expect(events.slice(0, at)).toContain(`stored ${seq}`);
    }
    expect(released()).toHaveLength(30);
  });

  it('releases no copy of a message history did not take, and reports the records whose copies could not be released, for SQS to retry', async () => {
    execute.mockImplementation(async (_query: string, params: unknown[]) => {
      if (params[2] === 2) throw new Error('NoHostAvailableError');
    });
    const first = await persist([record('a', message(1)), record('b', message(2))]);
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
    expect(released()).toEqual(['thread-1 msg#000000000001']);

    dynamodb.on(BatchWriteCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    expect(await persist([record('c', message(3))])).toEqual({ batchItemFailures: [{ itemIdentifier: 'c' }] });
  });

  it('reports only the record whose write failed, for SQS to retry', async () => {
    execute.mockImplementation(async (_query: string, params: unknown[]) => {
      if (params[2] === 2) throw new Error('NoHostAvailableError');
    });
    const logged = jest.spyOn(logger, 'error');
    expect(await persist([record('a', message(1)), record('b', message(2)), record('c', message(3))])).toEqual({
      batchItemFailures: [{ itemIdentifier: 'b' }],
    });
    expect(logged).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ sqsMessageId: 'b', threadId: message(2).threadId, messageId: message(2).messageId }));
  });

  it.each([
    ['not JSON', 'hello'],
    ['missing fields', { threadId: 'thread-1', seq: 1 }],
    ['a seq that is not a positive integer', { ...message(1), seq: 1.5 }],
    ['text over 4000 characters', { ...message(1), text: 'x'.repeat(4001) }],
  ])('reports a record with %s as failed and writes nothing for it', async (_case, body) => {
    expect(await persist([record('ok', message(5)), record('bad', body)])).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('fails the invocation when every record fails, as Powertools does', async () => {
    execute.mockRejectedValue(new Error('down'));
    await expect(persist([record('a', message(1))])).rejects.toThrow(/All records failed/);
  });
});
