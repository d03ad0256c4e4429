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

/**
 * Subscribes `client` to `user`, who has just connected, and expects to see them online: their
 * status is derived from the registry's stream, so the answer may still say offline, and then the
 * change follows.
 */
async function expectToSeeOnline(client: TestClient, user: string): Promise<void> {
  const answer = (await client.request({ action: 'subscribePresence', userIds: [user] })) as PresenceFrame;
  expect(answer.users).toEqual([expect.objectContaining({ userId: user })]);
  if (answer.users[0].status !== 'online') expect(await presenceOf(client, user, 'online')).toEqual({ userId: user, status: 'online' });
}

describe('who sees whose presence, over real sockets', () => {
  it('by default (the contract) shows a stranger, who shares no thread, the real state and every change', async () => {
    const [bob, stranger] = ['bob', 'stranger'].map(uniqueUser);
    const bobClient = await connect(bob);
    const strangerClient = await connect(stranger);
    await expectToSeeOnline(strangerClient, bob);
    expect((await subscriptionsTo(bob)).filter((item) => item.subscriberUserId === stranger)).toHaveLength(1);

    await bobClient.close();
    expect(await presenceOf(strangerClient, bob, 'offline')).toEqual({ userId: bob, status: 'offline', lastSeen: expect.any(Number) });
    await connect(bob);
    expect(await presenceOf(strangerClient, bob, 'online')).toEqual({ userId: bob, status: 'online' });
  });

  it('with presenceAudience "threads", answers a stranger (even one whose message request is pending) exactly as about an id nobody has, subscribes them to nothing, and tells them no change', async () => {
    const [bob, stranger, friend] = ['bob', 'stranger', 'friend'].map(uniqueUser);
    const unknown = uniqueUser('nobody');
    const friendClient = await connect(friend);
    await shareAThread(friendClient, bob);
    const bobClient = await connect(bob);
    // bob accepts the friend's thread by replying; the stranger's first message stays a request.
    await shareAThread(bobClient, friend);
    expect(await bobClient.request({ action: 'updateSettings', presenceAudience: 'threads' })).toMatchObject({ type: 'settings', presenceAudience: 'threads', requestNotifications: true });
    // A friend who shares an accepted thread sees bob.
    await expectToSeeOnline(friendClient, bob);
    const strangerClient = await connect(stranger);
    await shareAThread(strangerClient, bob);
    // bob has been seen (he is online now), the unknown id never: the stranger cannot tell them apart.
    expect(await answerShape(strangerClient, [bob])).toEqual(await answerShape(strangerClient, [unknown]));
    expect(await answerShape(strangerClient, [bob])).toEqual({ type: 'presence', users: [{ status: 'offline' }] });
    expect((await subscriptionsTo(bob)).filter((item) => item.subscriberUserId === stranger)).toEqual([]);

    // When the friend has heard of bob's going offline and back, so would have the stranger, were they told.
    await bobClient.close();
    await presenceOf(friendClient, bob, 'offline');
    await connect(bob);
    await presenceOf(friendClient, bob, 'online');
    expect(pushedAbout(strangerClient, bob)).toEqual([]);
  });

  it('hides a block both ways, like an unknown id, and ends an existing subscription at the next change', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const aliceClient = await connect(alice);
    await aliceClient.request({ action: 'subscribePresence', userIds: [bob] });
    let bobClient = await connect(bob);
    await presenceOf(aliceClient, bob, 'online');
    expect(await bobClient.request({ action: 'blockUser', userId: alice })).toMatchObject({ type: 'blocked', userId: alice });

    // Alice's subscription from before the block: bob's next change tells her hidden (no lastSeen), then it ends.
    await bobClient.close();
    expect(await presenceOf(aliceClient, bob, 'offline')).toEqual({ userId: bob, status: 'offline' });
    await eventually(async () => (await subscriptionsTo(bob)).every((item) => item.subscriberUserId !== alice), 10_000, "alice's subscription to end");
    bobClient = await connect(bob);
    // Asked again, bob answers as an id nobody has; and the blocker does not see the blocked user either.
    expect(await answerShape(aliceClient, [bob])).toEqual(await answerShape(aliceClient, [uniqueUser('nobody')]));
    expect(await answerShape(bobClient, [alice])).toEqual({ type: 'presence', users: [{ status: 'offline' }] });
    expect((await subscriptionsTo(alice)).filter((item) => item.subscriberUserId === bob)).toEqual([]);

    // Unblocked, they see each other again.
    await bobClient.request({ action: 'unblockUser', userId: alice });
    await expectToSeeOnline(aliceClient, bob);
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

  it('stops telling a member who left the only group they shared with a user on presenceAudience "threads": hidden once, then unsubscribed', async () => {
    const [admin, bob, carol] = ['admin', 'bob', 'carol'].map(uniqueUser);
    const adminClient = await connect(admin);
    const { threadId } = (await adminClient.request({ action: 'createGroup', name: 'Trip', members: [bob, carol] })) as { threadId: string };
    let bobClient = await connect(bob);
    await bobClient.request({ action: 'acceptRequest', threadId });
    await bobClient.request({ action: 'updateSettings', presenceAudience: 'threads' });
    const carolClient = await connect(carol);
    await carolClient.request({ action: 'acceptRequest', threadId });
    await expectToSeeOnline(carolClient, bob);
    await bobClient.close();
    await presenceOf(carolClient, bob, 'offline');
    bobClient = await connect(bob);
    await presenceOf(carolClient, bob, 'online');

    expect(await carolClient.request({ action: 'removeMember', threadId, userId: carol })).toMatchObject({ type: 'thread' });
    carolClient.frames.length = 0;
    await bobClient.close();
    // Not offline with lastSeen, as a friend would see it: hidden.
    expect(await presenceOf(carolClient, bob, 'offline')).toEqual({ userId: bob, status: 'offline' });
    // Unsubscribed once the frame was delivered.
    await eventually(async () => (await subscriptionsTo(bob)).every((item) => item.subscriberUserId !== carol), 10_000, "carol's subscription to end");
  });

  it("costs a 500-id subscribePresence, on the default audience, no read of anyone's threads: settings and blocks, 100 a batch", async () => {
    const stranger = await connect(uniqueUser('stranger'));
    const since = Date.now();
    const userIds = Array.from({ length: 500 }, (_, index) => uniqueUser(`target${index}`));
    const answer = (await stranger.request({ action: 'subscribePresence', userIds })) as PresenceFrame;
    expect(answer.users).toEqual(userIds.map((userId) => ({ userId, status: 'offline' })));

    const { invocations } = (await (await fetch(`${localCloud().baseUrl}/dev/stats`)).json()) as {
      invocations: Array<{ logicalId: string; start: number; calls: Array<{ service: string; operation: string }> }>;
    };
    // Other tests share the cloud and its presence function: the 500-id subscription is the one invocation of the largest.
    const calls = invocations
      .filter((invocation) => invocation.logicalId.startsWith('PresenceActions') && invocation.start >= since)
      .reduce<Array<{ service: string; operation: string }>>((largest, invocation) => (invocation.calls.length > largest.length ? [...invocation.calls] : largest), []);
    const count = (operation: string) => calls.filter((call) => call.operation === operation).length;
    // 6 batches of settings (501 users), 5 of pairs (blocks), 5 of statuses; 20 batches of subscriptions;
    // the watch-list check (a Query and a Put); no Query of thread rows.
    expect({ BatchGetItem: count('BatchGetItem'), BatchWriteItem: count('BatchWriteItem'), Query: count('Query') }).toEqual({ BatchGetItem: 16, BatchWriteItem: 20, Query: 1 });
  });

  it('refuses bad settings frames with bad_request', async () => {
    const client = await connect(uniqueUser('alice'));
    expect(await client.request({ action: 'updateSettings' })).toMatchObject({
      type: 'error',
      code: 'bad_request',
      message: /activeStatus, pushPreviews, presenceAudience, requestNotifications/,
    });
    expect(await client.request({ action: 'updateSettings', activeStatus: 'no' })).toMatchObject({ type: 'error', code: 'bad_request', message: /activeStatus/ });
    expect(await client.request({ action: 'updateSettings', presenceAudience: 'friends' })).toMatchObject({ type: 'error', code: 'bad_request', message: /presenceAudience/ });
    expect(await client.request({ action: 'updateSettings', requestNotifications: 'no' })).toMatchObject({ type: 'error', code: 'bad_request', message: /requestNotifications/ });
  });
});
