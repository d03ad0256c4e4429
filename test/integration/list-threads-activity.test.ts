import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { byLogicalId, clientsClosedAfterEach, eventually, standIns, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(120_000);

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();
let db: DynamoDBDocumentClient;
let tables: { threads: string; userThreads: string };

beforeAll(async () => {
  const { dynamodb } = await standIns();
  tables = { threads: byLogicalId(dynamodb.tables, 'ChatThreads'), userThreads: byLogicalId(dynamodb.tables, 'ChatUserThreads') };
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
});

afterAll(() => db.destroy());

const row = async (userId: string, threadId: string) =>
  (await db.send(new GetCommand({ TableName: tables.userThreads, Key: { userId, threadId }, ConsistentRead: true }))).Item!;
const staged = async (threadId: string, seq: number) =>
  (await db.send(new GetCommand({ TableName: tables.threads, Key: { threadId, sk: `msg#${String(seq).padStart(12, '0')}` }, ConsistentRead: true }))).Item;

/** Once history holds a message its staged copy goes: the relay has handed it on, and moved the rows it was to move before that. */
const relayed = (threadId: string, seq: number) => eventually(async () => (await staged(threadId, seq)) === undefined, 60_000, `message ${seq} of ${threadId} to be relayed`);

async function allPages(client: Awaited<ReturnType<typeof connect>>): Promise<Frame[][]> {
  const pages: Frame[][] = [];
  let cursor: unknown;
  do {
    const page = await client.request({ action: 'listThreads', ...(cursor === undefined ? {} : { cursor }) });
    pages.push(page.threads as Frame[]);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return pages;
}

describe('listThreads by recent activity, with rows moved at most once a minute', () => {
  it('puts a thread with a new message first though its row was not moved, and pages every thread once', async () => {
    const owner = uniqueUser('owner');
    const client = await connect(owner);
    // More than a page and the first Query's rows: the moved thread's row is read only because rows may lag.
    const peers = Array.from({ length: 30 }, (_, i) => uniqueUser(`peer${i}`));
    const threadIds: string[] = [];
    for (const peer of peers) threadIds.push(String((await client.request({ action: 'sendMessage', clientMsgId: `to-${peer}`, to: peer, text: `hi ${peer}` })).threadId));
    const before = await row(owner, threadIds[0]);

    await client.request({ action: 'sendMessage', clientMsgId: 'again', to: peers[0], text: 'back to you' });
    await relayed(threadIds[0], 2);

    // Within a minute of the rows' last move: the relay left the row where the thread's creation put it, 29 threads down.
    expect(await row(owner, threadIds[0])).toMatchObject({ lastActivity: before.lastActivity, lastSeq: 1 });
    const pages = await allPages(client);
    expect(pages.map((page) => page.length)).toEqual([20, 10]);
    expect(pages[0][0]).toMatchObject({ threadId: threadIds[0], lastSeq: 2, lastMessage: { seq: 2, text: 'back to you' } });
    expect(pages.flat().map((thread) => thread.threadId)).toEqual([threadIds[0], ...threadIds.slice(1).reverse()]);
  });

  it('moves the members’ rows once a message is more than a minute past where they were last moved', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const threadId = String((await client.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'first' })).threadId);
    // As if the rows had last moved two minutes ago.
    const { Item: mark } = await db.send(new GetCommand({ TableName: tables.threads, Key: { threadId, sk: 'member$rows' }, ConsistentRead: true }));
    expect(mark).toMatchObject({ rowActivity: (await row(alice, threadId)).lastActivity });
    await db.send(new UpdateCommand({ TableName: tables.threads, Key: { threadId, sk: 'member$rows' }, UpdateExpression: 'SET rowActivity = :old', ExpressionAttributeValues: { ':old': mark!.rowActivity - 120_000 } }));

    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'c2', threadId, text: 'second' });
    await relayed(threadId, 2);

    for (const user of [alice, bob]) expect(await row(user, threadId)).toMatchObject({ lastActivity: ack.sentAt, lastSeq: 2 });
    const { Item: moved } = await db.send(new GetCommand({ TableName: tables.threads, Key: { threadId, sk: 'member$rows' }, ConsistentRead: true }));
    expect(moved).toMatchObject({ rowActivity: ack.sentAt });
  });
});
