import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from 'cassandra-driver';
import { byLogicalId, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';
import { localFunction } from '../support/local-functions';

jest.setTimeout(90_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let sqs: SQSClient;
let cassandra: Client;
let queueUrl: string;
let deadLetterQueueUrl: string;

beforeAll(async () => {
  const { sqs: queues, cassandra: history } = await standIns();
  sqs = new SQSClient({ endpoint: queues.endpoint, region: 'us-east-1', credentials });
  queueUrl = byLogicalId(queues.queues, 'MessagePipelineQueue');
  deadLetterQueueUrl = byLogicalId(queues.queues, 'MessagePipelineDeadLetters');
  cassandra = new Client({ contactPoints: [history.endpoint], localDataCenter: 'datacenter1' });
});

afterAll(async () => {
  sqs.destroy();
  await cassandra.shutdown();
});

function message(threadId: string, seq: number) {
  return { threadId, seq, messageId: `m-${threadId}-${seq}`, senderId: 'alice', clientMsgId: `c-${seq}`, text: `hello ${seq}`, sentAt: Date.now() };
}

async function enqueue(body: unknown): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) }));
}

async function historyRows(threadId: string, bucket: number) {
  const result = await cassandra.execute(
    'SELECT seq, message_id, sender_id, client_msg_id, body, sent_at FROM messenger.messages WHERE thread_id = ? AND bucket = ?',
    [threadId, bucket],
    { prepare: true },
  );
  return result.rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

describe('message pipeline: queue -> persistence function -> Cassandra', () => {
  it('stores a queued message in its thread bucket, clustered by seq', async () => {
    const thread = uniqueUser('thread');
    await enqueue(message(thread, 2501));
    await enqueue(message(thread, 2500));
    await eventually(async () => (await historyRows(thread, 2)).length === 2, 15_000, 'both messages to reach history');
    const rows = await historyRows(thread, 2);
    expect(rows.map((row) => row.seq)).toEqual([2500, 2501]);
    expect(rows[0]).toMatchObject({ message_id: `m-${thread}-2500`, sender_id: 'alice', client_msg_id: 'c-2500', body: 'hello 2500' });
  });

  it('takes a message delivered twice as stored, and stores it once', async () => {
    // SQS delivers at least once: the same message again, e.g. after its delete was lost. Handed
    // to the function directly, to read its answer: the records it reports failed are retried.
    const { logicalId } = await localFunction('MessagePipelinePersist');
    const persist = async (records: Array<[string, string]>) => {
      const event = {
        Records: records.map(([messageId, body]) => ({
          messageId,
          receiptHandle: `handle-${messageId}`,
          body,
          attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:pipeline',
          awsRegion: 'us-east-1',
        })),
      };
      const response = await fetch(`${localCloud().baseUrl}/dev/invoke?function=${logicalId}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) });
      return ((await response.json()) as { result: unknown }).result;
    };
    const thread = uniqueUser('thread');
    const body = JSON.stringify(message(thread, 7));

    expect(await persist([['delivery-1', body]])).toEqual({ batchItemFailures: [] });
    // Beside it, a record that cannot be stored, which the function must name: its answer is read, not assumed.
    expect(await persist([['delivery-1', body], ['unreadable', 'not json']])).toEqual({ batchItemFailures: [{ itemIdentifier: 'unreadable' }] });
    expect(await historyRows(thread, 0)).toEqual([
      { seq: 7, message_id: `m-${thread}-7`, sender_id: 'alice', client_msg_id: 'c-7', body: 'hello 7', sent_at: expect.any(Date) },
    ]);
  });

  it('moves a message that can never be stored to the dead-letter queue, after retries, losing nothing', async () => {
    const marker = uniqueUser('poison');
    await enqueue(JSON.stringify({ threadId: marker, seq: 'not a number' }));
    let arrived: string | undefined;
    await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 1 }),
        );
        arrived = Messages.find((candidate) => candidate.Body?.includes(marker))?.Body;
        return arrived !== undefined;
      },
      60_000,
      'the unreadable message to reach the DLQ',
    );
    expect(JSON.parse(arrived!)).toEqual({ threadId: marker, seq: 'not a number' });
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({ maxReceiveCount: 5 });
  });
});
