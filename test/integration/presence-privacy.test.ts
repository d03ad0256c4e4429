import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { presenceOf, shareAThread, type PresenceFrame } from '../support/presence';
import { byLogicalId, clientsClosedAfterEach, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';
import type { TestClient } from '../support/ws-client';

jest.setTimeout(60_000);

const connect = clientsClosedAfterEach();
let tables: DynamoDBDocumentClient;
let subscriptionsTable: string;

beforeAll(async () => {
  const { dynamodb } = await standIns();
  tables = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  subscriptionsTable = byLogicalId(dynamodb.tables, 'PresenceSubscriptions');
});
afterAll(() => tables.destroy());

async function subscriptionsTo(user: string) {
  const { Items = [] } = await tables.send(
    new QueryCommand({ TableName: subscriptionsTable, KeyConditionExpression: 'watchedUserId = :user', ExpressionAttributeValues: { ':user': user }, ConsistentRead: true }),
  );
  return Items;
}

/** The pushed (not requested) presence frames a client got about `userId`. */
function pushedAbout(client: TestClient, userId: string) {
  return client.frames
    .filter((frame) => frame.type === 'presence' && frame.reqId === undefined)
    .flatMap((frame) => (frame as PresenceFrame).users.filter((user) => user.userId === userId));
}

/** A subscribePresence answer with the user ids replaced, so that answers about different users compare. */
async function answerShape(client: TestClient, userIds: string[]) {
  const { reqId: _reqId, ...answer } = (await client.request({ action: 'subscribePresence', userIds })) as PresenceFrame;
  return { ...answer, users: answer.users.map(({ userId: _userId, ...rest }) => rest) };
}

describe('who sees whose presence, over real sockets', () => {
  it('answers a stranger about a user exactly as about an id nobody has, subscribes them to nothing, and tells them no change', async () => {
    const [bob, stranger, friend] = ['bob', 'stranger', 'friend'].map(uniqueUser);
    const unknown = uniqueUser('nobody');
    const friendClient = await connect(friend);
    await shareAThread(friendClient, bob);
    // A friend who shares a thread sees bob.
    await friendClient.request({ action: 'subscribePresence', userIds: [bob] });
    const bobClient = await connect(bob);
    await presenceOf(friendClient, bob, 'online');
    const strangerClient = await connect(stranger);
    // bob has been seen (he is online now), the unknown id never: the stranger cannot tell them apart.
    expect(await answerShape(strangerClient, [bob])).toEqual(await answerShape(strangerClient, [unknown]));
    expect(await answerShape(strangerClient, [bob])).toEqual({ type: 'presence', users: [{ status: 'offline' }] });
    expect((await subscriptionsTo(bob)).filter((item) => item.subscriberUserId === stranger)).toEqual([]);

    // When the friend has heard of bob's going offline and back, so would have the stranger, were they told.
    await bobClient.close();
    await presenceOf(friendClient, bob, 'offline');
    await connect(bob);
    await friendClient.waitFor((frame) => pushedAbout(friendClient, bob).length === 3 && frame.type === 'presence');
    expect(pushedAbout(strangerClient, bob)).toEqual([]);
  });

  it('hides a user who turns active status off, from others and others from them, like an unknown id; and shows them again when it is back on', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const aliceClient = await connect(alice);
    await shareAThread(aliceClient, bob);
    await aliceClient.request({ action: 'subscribePresence', userIds: [bob] });
    const bobClient = await connect(bob);
    await presenceOf(aliceClient, bob, 'online');
    expect(await bobClient.request({ action: 'getSettings' })).toMatchObject({ type: 'settings', activeStatus: true, pushPreviews: true });

    expect(await bobClient.request({ action: 'updateSettings', activeStatus: false })).toMatchObject({ type: 'settings', activeStatus: false, pushPreviews: true });
    // alice is told at once that bob is hidden: offline, no lastSeen, the answer for an id nobody has.
    expect(await presenceOf(aliceClient, bob, 'offline')).toEqual({ userId: bob, status: 'offline' });
    aliceClient.frames.length = 0;
    expect(await answerShape(aliceClient, [bob])).toEqual(await answerShape(aliceClient, [uniqueUser('nobody')]));
    // And bob, hidden, sees nobody: alice is online, but not to him.
    expect(await bobClient.request({ action: 'subscribePresence', userIds: [alice] })).toMatchObject({ users: [{ userId: alice, status: 'offline' }] });
    expect(await bobClient.request({ action: 'getSettings' })).toMatchObject({ activeStatus: false });

    await bobClient.request({ action: 'updateSettings', activeStatus: true });
    expect(await presenceOf(aliceClient, bob, 'online')).toEqual({ userId: bob, status: 'online' });
    expect(await presenceOf(bobClient, alice, 'online')).toEqual({ userId: alice, status: 'online' });
  });

  it('stops telling a member who left the only group they shared: hidden once, then unsubscribed', async () => {
    const [admin, bob, carol] = ['admin', 'bob', 'carol'].map(uniqueUser);
    const adminClient = await connect(admin);
    const { threadId } = (await adminClient.request({ action: 'createGroup', name: 'Trip', members: [bob, carol] })) as { threadId: string };
    const carolClient = await connect(carol);
    await carolClient.request({ action: 'subscribePresence', userIds: [bob] });
    const bobClient = await connect(bob);
    await presenceOf(carolClient, bob, 'online');

    expect(await carolClient.request({ action: 'removeMember', threadId, userId: carol })).toMatchObject({ type: 'thread' });
    await bobClient.close();
    // Not offline with lastSeen, as a friend would see it: hidden.
    expect(await presenceOf(carolClient, bob, 'offline')).toEqual({ userId: bob, status: 'offline' });
    // Unsubscribed once the frame was delivered.
    await eventually(async () => (await subscriptionsTo(bob)).every((item) => item.subscriberUserId !== carol), 10_000, "carol's subscription to end");
  });

  it("costs a stranger's 500-id subscribePresence one Query, and writes nothing", async () => {
    const stranger = await connect(uniqueUser('stranger'));
    const since = Date.now();
    const userIds = Array.from({ length: 500 }, (_, index) => uniqueUser(`target${index}`));
    const answer = (await stranger.request({ action: 'subscribePresence', userIds })) as PresenceFrame;
    expect(answer.users).toEqual(userIds.map((userId) => ({ userId, status: 'offline' })));

    const { invocations } = (await (await fetch(`${localCloud().baseUrl}/dev/stats`)).json()) as {
      invocations: Array<{ logicalId: string; start: number; calls: Array<{ service: string; operation: string }> }>;
    };
    const calls = invocations.filter((invocation) => invocation.logicalId.startsWith('PresenceActions') && invocation.start >= since).flatMap((invocation) => invocation.calls);
    // Its own thread rows (none), and at most the connection's activity mark: before, 20 BatchWriteItems and 5 BatchGetItems.
    expect(calls.map((call) => call.operation).filter((operation) => operation !== 'UpdateItem')).toEqual(['Query']);
  });

  it('refuses bad settings frames with bad_request', async () => {
    const client = await connect(uniqueUser('alice'));
    expect(await client.request({ action: 'updateSettings' })).toMatchObject({ type: 'error', code: 'bad_request', message: /activeStatus, pushPreviews or both/ });
    expect(await client.request({ action: 'updateSettings', activeStatus: 'no' })).toMatchObject({ type: 'error', code: 'bad_request', message: /activeStatus/ });
  });
});
