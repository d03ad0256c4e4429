import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Client } from 'cassandra-driver';
import { faultsDisarmedAfterEach, firedOf } from '../support/faults';
import { byLogicalId, clientsClosedAfterEach, connectionRegistry, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(90_000);

/** How long a message committed by a send that died may take to be delivered by the relay here. */
const HEAL_WITHIN_MS = 20_000;
const connect = clientsClosedAfterEach();
const arm = faultsDisarmedAfterEach();
let threads: DynamoDBDocumentClient;
let threadsTable: string;
let cassandra: Client;

beforeAll(async () => {
  const { dynamodb, cassandra: history } = await standIns();
  threadsTable = byLogicalId(dynamodb.tables, 'ChatThreads');
  threads = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  cassandra = new Client({ contactPoints: [history.endpoint], localDataCenter: 'datacenter1' });
});

afterAll(async () => {
  threads.destroy();
  await cassandra.shutdown();
});

const stagedKey = (threadId: string, seq: number) => ({ threadId, sk: `msg#${String(seq).padStart(12, '0')}` });
const stagedCopy = async (threadId: string, seq: number) => (await threads.send(new GetCommand({ TableName: threadsTable, Key: stagedKey(threadId, seq), ConsistentRead: true }))).Item;
const historySeqs = async (threadId: string) =>
  (await cassandra.execute('SELECT seq FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [threadId], { prepare: true })).rows.map((row) => Number(row.seq));

interface Invocation {
  logicalId: string;
  start: number;
  calls: Array<{ service: string; operation: string }>;
}
async function pushesTo(user: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${localCloud().baseUrl}/dev/push?user=${user}`);
  return ((await response.json()) as { notifications: Array<Record<string, unknown>> }).notifications;
}

const invocationsSince = async (since: number) =>
  ((await (await fetch(`${localCloud().baseUrl}/dev/stats`)).json()) as { invocations: Invocation[] }).invocations.filter((invocation) => invocation.start >= since);

describe('the outbox relay', () => {
  it('takes a sent message to history (the chat function queues nothing), and its staged copy is released once history has it', async () => {
    const since = Date.now();
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'through the outbox' });
    const threadId = String(ack.threadId);
    expect(await stagedCopy(threadId, 1)).toMatchObject({ text: 'through the outbox' });

    await eventually(async () => (await historySeqs(threadId)).includes(1), 30_000, 'the message to reach history');
    await eventually(async () => (await stagedCopy(threadId, 1)) === undefined, 30_000, 'the staged copy to be released');
    expect(await client.request({ action: 'getMessages', threadId })).toMatchObject({ type: 'messages', messages: [{ seq: 1, text: 'through the outbox' }] });

    const invocations = await invocationsSince(since);
    const sends = invocations.filter((invocation) => invocation.logicalId.startsWith('ChatActions') && invocation.calls.some((call) => call.operation === 'TransactWriteItems'));
    expect(sends.length).toBeGreaterThan(0);
    expect(sends.flatMap((invocation) => invocation.calls).filter((call) => call.service === 'SQS')).toEqual([]);
    const relayed = invocations.filter((invocation) => invocation.logicalId.startsWith('RelayFunction'));
    expect(relayed.flatMap((invocation) => invocation.calls).filter((call) => call.service === 'SQS').map((call) => call.operation)).toContain('SendMessageBatch');
  });

  it('delivers, and takes to history, a message committed by a send that died before delivering it', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [sender, recipient] = [await connect(alice), await connect(bob)];
    const first = await sender.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'first' });
    await recipient.waitFor((frame) => frame.type === 'message' && frame.seq === 1);
    const threadId = String(first.threadId);

    // What a send's transaction writes before its function dies: the head moved on, the message staged; nothing delivered.
    const sentAt = Date.now();
    const lost = { threadId, seq: 2, messageId: `lost-${sentAt}`, senderId: alice, clientMsgId: 'c2', text: 'committed, then the function died', sentAt };
    await threads.send(
      new UpdateCommand({
        TableName: threadsTable,
        Key: { threadId, sk: 'meta' },
        UpdateExpression: 'SET lastSeq = :seq, lastActivity = :sentAt',
        ConditionExpression: 'lastSeq = :previous',
        ExpressionAttributeValues: { ':seq': 2, ':previous': 1, ':sentAt': sentAt },
      }),
    );
    await threads.send(new PutCommand({ TableName: threadsTable, Item: { ...lost, ...stagedKey(threadId, 2) } }));

    // Within the lease and the stream's latency (about 2 s); a CI machine running every suite at once is given far more, as this proves that it comes, not how fast.
    const delivered = await recipient.waitFor((frame) => frame.type === 'message' && frame.seq === 2, HEAL_WITHIN_MS);
    expect(delivered).toMatchObject({ messageId: lost.messageId, senderId: alice, text: lost.text, sentAt });
    // The sender's own devices hear of it too (the relay does not know which one sent it); clients drop duplicates by messageId.
    await sender.waitFor((frame) => frame.type === 'message' && frame.seq === 2, HEAL_WITHIN_MS);
    await eventually(async () => (await historySeqs(threadId)).join() === '1,2', 30_000, 'both messages to reach history');
    await eventually(async () => (await stagedCopy(threadId, 2)) === undefined, 30_000, 'the staged copy to be released');
  });

  it('a crash right after the commit still persists and delivers the message; an exact retry is acked with it', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [sender, recipient] = [await connect(alice), await connect(bob)];
    const first = await sender.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'first' });
    await recipient.waitFor((frame) => frame.type === 'message' && frame.seq === 1);
    const faultId = await arm({ kind: 'kill', function: 'ChatActions', point: 'chat.committed', userId: alice });

    sender.send({ action: 'sendMessage', reqId: 'dies', clientMsgId: 'c2', threadId: first.threadId, text: 'committed, then the function died' });
    // API Gateway's answer to an integration that died; no ack came.
    await sender.waitFor((frame) => frame.message === 'Internal server error' && frame.type === undefined);
    expect(await firedOf(faultId)).toHaveLength(1);
    expect(sender.frames.filter((frame) => frame.reqId === 'dies')).toEqual([]);

    // Within the lease and the stream's latency (about 2 s); a CI machine running every suite at once is given far more, as this proves that it comes, not how fast.
    const delivered = await recipient.waitFor((frame) => frame.type === 'message' && frame.seq === 2, HEAL_WITHIN_MS);
    expect(delivered).toMatchObject({ senderId: alice, clientMsgId: 'c2', text: 'committed, then the function died' });
    const threadId = String(first.threadId);
    await eventually(async () => (await historySeqs(threadId)).join() === '1,2', 30_000, 'the message to reach history');
    await eventually(async () => (await stagedCopy(threadId, 2)) === undefined, 30_000, 'the staged copy to be released');

    const retry = await sender.request({ action: 'sendMessage', clientMsgId: 'c2', threadId, text: 'committed, then the function died' });
    expect(retry).toMatchObject({ type: 'ack', status: 'sent', seq: 2, messageId: delivered.messageId });
  });

  it('never serves a page with a hole while messages move from their staged copies to history', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [sender, reader] = [await connect(alice), await connect(bob)];
    const first = await sender.request({ action: 'sendMessage', clientMsgId: 'c0', to: bob, text: 'message 1' });
    const threadId = String(first.threadId);
    const count = 12;
    let sending = true;
    // Each send waits for a page read after the one before it: the reads overlap the sends (and so
    // the copies' moves) by construction, however fast this machine is at either.
    let pageRead!: () => void;
    let nextPage = new Promise<void>((resolve) => (pageRead = resolve));
    const sends = (async () => {
      for (let index = 2; index <= count; index++) {
        await nextPage;
        await sender.request({ action: 'sendMessage', clientMsgId: `c${index}`, threadId, text: `message ${index}` });
      }
    })().finally(() => (sending = false));

    const pages: number[][] = [];
    let pagesWhileSending = 0;
    // Until every copy is released (bounded, so that a relay or persistence that stalls fails below instead of hanging).
    const until = Date.now() + 45_000;
    const reading = async () => {
      while ((sending || (await stagedCopy(threadId, count)) !== undefined) && Date.now() < until) {
        const asked = sending;
        const page = await reader.request({ action: 'getMessages', threadId, limit: 50 });
        if (page.type === 'messages') {
          pages.push((page.messages as Array<{ seq: number }>).map((message) => message.seq));
          if (asked && sending) pagesWhileSending += 1;
        } else expect(page).toMatchObject({ type: 'error', code: 'internal' });
        pageRead();
        nextPage = new Promise<void>((resolve) => (pageRead = resolve));
      }
    };
    await Promise.all([sends, reading()]);

    expect(pagesWhileSending).toBeGreaterThanOrEqual(3);
    for (const seqs of pages) expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
    expect(pages.at(-1)).toHaveLength(count);
    expect(await stagedCopy(threadId, count)).toBeUndefined();
  });

  it('pushes a member whose every connection record is stale (the gateway answers 410 for each), as offline', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const bobPhone = await connect(bob);
    expect(await bobPhone.request({ action: 'registerPush', platform: 'fcm', token: `fcm-${bob}` })).toMatchObject({ type: 'pushRegistered' });
    // Bob wrote first, so alice's message is no request (a request is pushed only while request notifications are on: consent.test.ts).
    await bobPhone.request({ action: 'sendMessage', clientMsgId: 'hi', to: alice, text: 'hi' });
    await bobPhone.close();
    // Bob's phone went away without $disconnect: its record still looks live, the gateway knows it no more.
    const registry = await connectionRegistry();
    const now = Date.now();
    try {
      await registry.put({ userId: bob, connectionId: 'gone-phone=', deviceId: 'gone-phone=', connectedAt: now, lastActiveAt: now, expiresAt: Math.floor(now / 1000) + 600 });
      const sender = await connect(alice);
      const ack = await sender.request({ action: 'sendMessage', clientMsgId: 'p1', to: bob, text: 'still there?' });
      await eventually(async () => (await pushesTo(bob)).length === 1, 15_000, 'the push to bob');
      expect((await pushesTo(bob))[0]).toMatchObject({ token: `fcm-${bob}`, senderId: alice, threadId: ack.threadId, seq: ack.seq, preview: 'still there?' });
      expect(await registry.connectionsOf(bob)).toEqual([]);
    } finally {
      registry.close();
    }
  });
});
