import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from 'cassandra-driver';
import { byLogicalId, connectUrl, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';
import { faults, standIn } from '../support/faults';
import { ownCloudForThisFile } from '../support/own-cloud';
import { TestClient } from '../support/ws-client';

jest.setTimeout(300_000);

// Its own cloud: stopping a stand-in would break every test sharing one. One fault is armed at
// start, for a user no test here uses, to see that LOCAL_FAULTS is read.
ownCloudForThisFile({ LOCAL_FAULTS: JSON.stringify([{ kind: 'connection', userId: 'armed-at-start', status: 429, times: 2 }]) });

type Frame = Record<string, unknown>;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The seqs of a thread that history (Cassandra) holds. */
async function historySeqs(threadId: string): Promise<number[]> {
  const cassandra = new Client({ contactPoints: [(await standIns()).cassandra.endpoint], localDataCenter: 'datacenter1' });
  try {
    const { rows } = await cassandra.execute('SELECT seq FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [threadId], { prepare: true });
    return rows.map((row) => Number(row.seq)).sort((a, b) => a - b);
  } finally {
    await cassandra.shutdown();
  }
}

/** How many of a thread's copies staged at send time are left: the persistence function releases each once history has its message. */
async function stagedCopiesLeft(threadId: string): Promise<number> {
  const { dynamodb } = await standIns();
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials }));
  const TableName = byLogicalId(dynamodb.tables, 'ChatThreads');
  try {
    const { Items = [] } = await client.send(
      new QueryCommand({ TableName, KeyConditionExpression: 'threadId = :t AND begins_with(sk, :msg)', ExpressionAttributeValues: { ':t': threadId, ':msg': 'msg#' }, ConsistentRead: true }),
    );
    return Items.length;
  } finally {
    client.destroy();
  }
}

const texts = (page: Frame) => (page.messages as Frame[]).map((message) => message.text);

describe('stand-ins stopped and restarted on purpose (/dev/faults)', () => {
  const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
  let client: TestClient;
  let threadId: string;

  beforeAll(async () => {
    expect((await faults()).armed).toEqual([{ id: expect.any(String), kind: 'connection', userId: 'armed-at-start', method: 'POST', status: 429, timesLeft: 2 }]);
    client = await TestClient.connect(await connectUrl(alice));
    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'before', to: bob, text: 'before any outage' });
    threadId = String(ack.threadId);
  });
  afterAll(() => client?.close());

  it('DynamoDB Local down: a send gets an internal error; back up, sends work again and earlier messages are still there', async () => {
    await standIn('dynamodb', 'stop');
    expect((await faults()).standIns.dynamodb).toBe('stopped');
    expect(await client.request({ action: 'sendMessage', clientMsgId: 'during', to: bob, text: 'while DynamoDB is down' }, 60_000)).toMatchObject({
      type: 'error',
      code: 'internal',
    });

    await standIn('dynamodb', 'restart');
    expect(await client.request({ action: 'sendMessage', clientMsgId: 'after', to: bob, text: 'after DynamoDB is back' }, 60_000)).toMatchObject({ type: 'ack', seq: 2 });
    expect(texts(await client.request({ action: 'getMessages', threadId }, 60_000))).toEqual(['before any outage', 'after DynamoDB is back']);
  });

  it('ElasticMQ down and back: messages in flight are still in flight, and the way to history resumes', async () => {
    await eventually(async () => (await historySeqs(threadId)).length === 2, 60_000, 'the first messages to reach history');
    // The dead-letter queue, which nothing here reads: one message waiting, one received and in flight.
    const { sqs } = await standIns();
    const queues = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials });
    const QueueUrl = byLogicalId(sqs.queues, 'MessagePipelineDeadLetters');
    const counts = async () => {
      const { Attributes = {} } = await queues.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return { waiting: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
    };
    try {
      await queues.send(new SendMessageCommand({ QueueUrl, MessageBody: 'in flight' }));
      expect((await queues.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 600, WaitTimeSeconds: 5 }))).Messages).toHaveLength(1);
      await queues.send(new SendMessageCommand({ QueueUrl, MessageBody: 'waiting' }));
      expect(await counts()).toEqual({ waiting: 1, inFlight: 1 });

      await standIn('sqs', 'stop');
      await standIn('sqs', 'restart');
      expect(await counts()).toEqual({ waiting: 1, inFlight: 1 });
    } finally {
      queues.destroy();
    }
    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'after-sqs', to: bob, text: 'after ElasticMQ is back' }, 60_000);
    expect(ack).toMatchObject({ type: 'ack', seq: 3 });
    await eventually(async () => (await historySeqs(threadId)).join() === '1,2,3', 90_000, 'the message sent after the restart to reach history');
  });

  it('Cassandra down and back: history no staged copy covers fails to read, then reads again', async () => {
    await eventually(async () => (await historySeqs(threadId)).join() === '1,2,3', 90_000, 'every message in history');
    await eventually(async () => (await stagedCopiesLeft(threadId)) === 0, 60_000, 'the staged copies to be released');

    await standIn('cassandra', 'stop');
    expect(await client.request({ action: 'getMessages', threadId }, 60_000)).toMatchObject({ type: 'error' });

    await standIn('cassandra', 'restart');
    // The functions' driver reconnects on its own schedule: the first reads may still fail.
    let page: Frame = {};
    await eventually(
      async () => {
        page = await client.request({ action: 'getMessages', threadId }, 60_000);
        return page.type === 'messages';
      },
      120_000,
      'getMessages to read history again',
    );
    expect(texts(page)).toEqual(['before any outage', 'after DynamoDB is back', 'after ElasticMQ is back']);
    expect((await faults()).fired.map((fired) => `${fired.standIn} ${fired.action}`)).toEqual([
      'dynamodb stop',
      'dynamodb restart',
      'sqs stop',
      'sqs restart',
      'cassandra stop',
      'cassandra restart',
    ]);
  });

  it('DELETE /dev/faults disarms everything and starts a stopped stand-in again', async () => {
    await standIn('sqs', 'stop');
    const response = await fetch(`${localCloud().baseUrl}/dev/faults`, { method: 'DELETE' });
    expect(await response.json()).toEqual({ cleared: true, restarted: ['sqs'] });
    expect(await faults()).toEqual({ armed: [], fired: [], standIns: { dynamodb: 'running', sqs: 'running', cassandra: 'running' } });
  });
});
