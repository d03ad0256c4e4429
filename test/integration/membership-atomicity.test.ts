import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbThreadStore, type ChatTables } from '../../lambdas/adapters/dynamodb-thread-store';
import { DynamoDbUserPairs } from '../../lambdas/adapters/dynamodb-user-pairs';
import { addMembers, createGroup, removeMember } from '../../lambdas/domain/chat/groups';
import { InMemoryConnections, InMemoryPurse, RecordingNotifier } from '../support/in-memory-chat';
import { byLogicalId, clientsClosedAfterEach, standIns, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(90_000);

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();

/**
 * The local cloud's DynamoDB Local, read and written directly: to look at what a change left, to
 * set up states no client can reach (a second admin, a group written before the counts, what a
 * cut-short write leaves), and to run the domain over the real store where a race must be sure
 * to happen (requests over sockets may or may not overlap).
 */
let client: DynamoDBDocumentClient;
let tables: ChatTables;
let store: DynamoDbThreadStore;

beforeAll(async () => {
  const { dynamodb } = await standIns();
  client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  tables = {
    threads: byLogicalId(dynamodb.tables, 'ChatThreads'),
    userThreads: byLogicalId(dynamodb.tables, 'ChatUserThreads'),
    sendRecords: byLogicalId(dynamodb.tables, 'ChatSendRecords'),
    blocks: byLogicalId(dynamodb.tables, 'ChatBlocks'),
  };
  store = new DynamoDbThreadStore(client, tables);
});
afterAll(() => client.destroy());

const headItem = async (threadId: unknown) =>
  (await client.send(new GetCommand({ TableName: tables.threads, Key: { threadId, sk: 'meta' }, ConsistentRead: true }))).Item;
const rowOf = async (userId: string, threadId: unknown) =>
  (await client.send(new GetCommand({ TableName: tables.userThreads, Key: { userId, threadId }, ConsistentRead: true }))).Item;
/** Members by id and role only: where they stand on a request is not what these tests are about. */
const rolesOf = async (threadId: string) => (await store.membersWithRoles(threadId)).map(({ userId, role }) => ({ userId, role }));
const listedIds = async (user: { request(frame: Frame): Promise<Frame> }) =>
  ((await user.request({ action: 'listThreads' })).threads as Frame[]).map((thread) => thread.threadId);

/** The domain's ports with the real store and nobody connected: for races that must happen. */
const ports = () => ({ threads: store, pairs: new DynamoDbUserPairs(client, tables), connections: new InMemoryConnections([]), notifier: new RecordingNotifier(), fromConnectionId: 'none', purse: new InMemoryPurse() });
const newGroup = (creatorId: string, members: string[]) => createGroup({ creatorId, name: 'Race', members, maxMembers: 1024, now: Date.now(), ...ports() });

describe('removal over real sockets', () => {
  it("removes membership and the member's thread row together, and lists no thread whose members leave the caller out", async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const [aliceClient, bobClient] = await Promise.all([connect(alice), connect(bob)]);
    const { threadId } = await aliceClient.request({ action: 'createGroup', name: 'Team', members: [bob, carol] });
    expect(await headItem(threadId)).toMatchObject({ memberCount: 3, adminCount: 1 });
    await aliceClient.request({ action: 'sendMessage', clientMsgId: 'm1', threadId, text: 'hi' });
    expect(await listedIds(bobClient)).toContain(threadId);

    await aliceClient.request({ action: 'removeMember', threadId, userId: bob });

    expect(await rowOf(bob, threadId)).toBeUndefined();
    expect(await headItem(threadId)).toMatchObject({ memberCount: 2, adminCount: 1 });
    expect(await listedIds(bobClient)).not.toContain(threadId);

    // What a removal cut short between two deletes used to leave: the row without the membership.
    await client.send(new PutCommand({ TableName: tables.userThreads, Item: { userId: bob, threadId, kind: 'group', joinedAt: 1, lastActivity: Date.now(), lastSeq: 1, deliveredSeq: 0, readSeq: 0 } }));
    await aliceClient.request({ action: 'sendMessage', clientMsgId: 'm2', threadId, text: 'bob is gone' });
    expect(await listedIds(bobClient)).not.toContain(threadId);
  });

  it('leaves an admin when two admins of a three-member group leave at once', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const [aliceClient, bobClient, carolClient] = await Promise.all([connect(alice), connect(bob), connect(carol)]);
    const { threadId } = await aliceClient.request({ action: 'createGroup', name: 'Team', members: [bob, carol] });
    // A second admin: no client action makes one, so it is set as a successor's promotion would.
    await client.send(new UpdateCommand({ TableName: tables.threads, Key: { threadId, sk: `member#${bob}` }, UpdateExpression: 'SET #role = :admin', ExpressionAttributeNames: { '#role': 'role' }, ExpressionAttributeValues: { ':admin': 'admin' } }));
    await client.send(new UpdateCommand({ TableName: tables.threads, Key: { threadId, sk: 'meta' }, UpdateExpression: 'SET adminCount = :two', ExpressionAttributeValues: { ':two': 2 } }));

    const replies = await Promise.all([
      aliceClient.request({ action: 'removeMember', threadId, userId: alice }),
      bobClient.request({ action: 'removeMember', threadId, userId: bob }),
    ]);

    expect(replies.map((reply) => reply.type)).toEqual(['thread', 'thread']);
    expect(await rolesOf(threadId as string)).toEqual([{ userId: carol, role: 'admin' }]);
    expect(await headItem(threadId)).toMatchObject({ memberCount: 1, adminCount: 1 });
    await carolClient.waitFor((frame) => frame.type === 'thread' && (frame.members as string[]).length === 1 && (frame.admins as string[])[0] === carol);
  });
});

describe('membership races, run by the domain against DynamoDB Local', () => {
  it('leaves an admin when two admins leave at the same moment', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const { threadId } = await newGroup(alice, [bob, carol]);
    await client.send(new UpdateCommand({ TableName: tables.threads, Key: { threadId, sk: `member#${bob}` }, UpdateExpression: 'SET #role = :admin', ExpressionAttributeNames: { '#role': 'role' }, ExpressionAttributeValues: { ':admin': 'admin' } }));
    await client.send(new UpdateCommand({ TableName: tables.threads, Key: { threadId, sk: 'meta' }, UpdateExpression: 'SET adminCount = :two', ExpressionAttributeValues: { ':two': 2 } }));

    await Promise.all([alice, bob].map((userId) => removeMember({ callerId: userId, threadId, userId, ...ports() })));

    expect(await rolesOf(threadId)).toEqual([{ userId: carol, role: 'admin' }]);
  });

  it('holds the cap under concurrent adds, one member each and many at once', async () => {
    const creator = uniqueUser('host');
    const { threadId } = await newGroup(creator, [uniqueUser('first')]);
    const singles = await Promise.allSettled(
      Array.from({ length: 6 }, () => addMembers({ callerId: creator, threadId, userIds: [uniqueUser('one')], maxMembers: 5, now: Date.now(), ...ports() })),
    );
    expect(singles.filter((add) => add.status === 'fulfilled')).toHaveLength(3);
    expect(await store.membersOf(threadId)).toHaveLength(5);
    expect(await headItem(threadId)).toMatchObject({ memberCount: 5 });

    // Two adds of 50 (two steps each) into room for 58: whole steps only, never past the cap.
    const { threadId: bigId } = await newGroup(creator, [uniqueUser('first')]);
    const batches = [0, 1].map((batch) => Array.from({ length: 50 }, (_, i) => `${uniqueUser('many')}-${batch}-${i}`));
    await Promise.allSettled(batches.map((userIds) => addMembers({ callerId: creator, threadId: bigId, userIds, maxMembers: 60, now: Date.now(), ...ports() })));
    const members = await store.membersOf(bigId);
    expect(members.length).toBeLessThanOrEqual(60);
    expect(members.length).toBeGreaterThanOrEqual(51);
    expect(await headItem(bigId)).toMatchObject({ memberCount: members.length });
  });

  it("keeps an existing member's receipts when they are added again, and counts only the new", async () => {
    const [alice, bob, dave] = ['alice', 'bob', 'dave'].map(uniqueUser);
    const { threadId } = await newGroup(alice, [bob]);
    await store.advanceReceipt(bob, threadId, 3, 'read');

    // As an add that read the members before bob joined would ask.
    expect(await store.addMembers(threadId, [bob, dave], 1024, Date.now())).toEqual({ added: [dave], refused: [] });

    // As listThreads reads them: a read receipt counts as delivered (the row keeps readSeq alone).
    expect(await rowOf(bob, threadId)).toMatchObject({ readSeq: 3 });
    expect(await store.userThreads(bob, [threadId])).toEqual([expect.objectContaining({ deliveredSeq: 3, readSeq: 3 })]);
    expect(await headItem(threadId)).toMatchObject({ memberCount: 3 });
  });

  it('counts a group written before the counts existed on its first change, and holds the cap and its admin from then on', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const threadId = `g_legacy${Math.random().toString(36).slice(2)}`;
    const now = Date.now();
    const members: Array<[string, string]> = [[alice, 'admin'], [bob, 'member'], [carol, 'member']];
    await client.send(new PutCommand({ TableName: tables.threads, Item: { threadId, sk: 'meta', kind: 'group', name: 'Old', createdAt: now, createdBy: alice, lastSeq: 0, lastActivity: now } }));
    await client.send(
      new BatchWriteCommand({
        RequestItems: {
          [tables.threads]: members.map(([userId, role]) => ({ PutRequest: { Item: { threadId, sk: `member#${userId}`, userId, role, joinedAt: now } } })),
          [tables.userThreads]: members.map(([userId]) => ({ PutRequest: { Item: { userId, threadId, kind: 'group', joinedAt: now, lastActivity: now, lastSeq: 0, deliveredSeq: 0, readSeq: 0 } } })),
        },
      }),
    );

    const adds = await Promise.allSettled(
      [uniqueUser('dave'), uniqueUser('erin')].map((userId) => addMembers({ callerId: alice, threadId, userIds: [userId], maxMembers: 4, now, ...ports() })),
    );
    expect(adds.filter((add) => add.status === 'fulfilled')).toHaveLength(1);
    expect(await headItem(threadId)).toMatchObject({ memberCount: 4, adminCount: 1 });

    await removeMember({ callerId: alice, threadId, userId: alice, ...ports() });
    expect(await headItem(threadId)).toMatchObject({ memberCount: 3, adminCount: 1 });
    expect((await rolesOf(threadId)).filter((member) => member.role === 'admin')).toEqual([{ userId: bob, role: 'admin' }]);
  });
});

describe('a group whose creation was cut short', () => {
  it('is invisible: not listed, and sends and membership changes answer as for a thread that does not exist', async () => {
    const alice = uniqueUser('alice');
    const aliceClient = await connect(alice);
    const threadId = `g_halfmade${Math.random().toString(36).slice(2)}`;
    const now = Date.now();
    // What a large creation leaves when its function dies before the head: members' items, no head.
    await client.send(
      new BatchWriteCommand({
        RequestItems: {
          [tables.threads]: [{ PutRequest: { Item: { threadId, sk: `member#${alice}`, userId: alice, role: 'admin', joinedAt: now } } }],
          [tables.userThreads]: [{ PutRequest: { Item: { userId: alice, threadId, kind: 'group', joinedAt: now, lastActivity: now, lastSeq: 0, deliveredSeq: 0, readSeq: 0 } } }],
        },
      }),
    );

    expect(await listedIds(aliceClient)).not.toContain(threadId);
    const noSuchThread = { code: 'forbidden', message: 'you are not a member of this thread' };
    expect(await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c', threadId, text: 'anyone?' })).toMatchObject(noSuchThread);
    expect(await aliceClient.request({ action: 'addMembers', threadId, userIds: [uniqueUser('bob')] })).toMatchObject(noSuchThread);
  });
});
