import { clientsClosedAfterEach, eventually, uniqueUser } from '../support/local-cloud-env';
import { connectionOf, invokeFrame } from '../support/local-functions';
import { TestClient } from '../support/ws-client';

jest.setTimeout(90_000);

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();

const messagesIn = (client: TestClient, threadId: unknown) =>
  client.frames.filter((frame) => (frame.type === 'message' || frame.type === 'ack') && frame.threadId === threadId);

describe('groups over real sockets', () => {
  it('creates a group, tells every member, and gives five concurrent senders one identical, gapless order', async () => {
    const users = Array.from({ length: 5 }, (_, i) => uniqueUser(`member${i}`));
    const clients = await Promise.all(users.map((user) => connect(user)));
    const created = await clients[0].request({ action: 'createGroup', name: 'Trip', members: users.slice(1) });
    expect(created).toEqual({
      type: 'thread',
      reqId: 'req-1',
      threadId: expect.any(String),
      kind: 'group',
      name: 'Trip',
      members: expect.arrayContaining(users),
      admins: [users[0]],
      historyForNewMembers: 'all',
    });
    const { threadId } = created;
    for (const client of clients.slice(1)) await client.waitFor((frame) => frame.type === 'thread' && frame.threadId === threadId);

    const perUser = 3;
    await Promise.all(
      clients.map((client, c) =>
        Promise.all(
          Array.from({ length: perUser }, (_, i) =>
            client.request({ action: 'sendMessage', clientMsgId: `u${c}-${i}`, threadId, text: `${c}:${i}` }, 30_000),
          ),
        ),
      ),
    );
    const total = users.length * perUser;
    const views = await Promise.all(
      clients.map(async (client) => {
        // Counted by messageId: a send slower than its lease is delivered by the relay too, and clients drop the duplicate.
        await eventually(async () => new Set(messagesIn(client, threadId).map((frame) => frame.messageId)).size === total, 20_000, 'every message at every member').catch(
          (error: Error) => {
            throw new Error(`${error.message}; this member has ${JSON.stringify(messagesIn(client, threadId).map((frame) => `${frame.type}:${frame.seq}`))}`);
          },
        );
        return new Map(messagesIn(client, threadId).map((frame) => [frame.seq, frame.messageId]));
      }),
    );
    const seqs = [...views[0].keys()].map(Number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const view of views) expect(view).toEqual(views[0]);
  });

  it('lets only admins add and remove others, lets anyone leave, and stops all delivery to a removed member', async () => {
    const [admin, bob, carol, dave] = ['admin', 'bob', 'carol', 'dave'].map(uniqueUser);
    const [adminClient, bobClient, carolClient, daveClient] = await Promise.all([admin, bob, carol, dave].map((user) => connect(user, 'desk')));
    const { threadId } = await adminClient.request({ action: 'createGroup', name: 'Team', members: [bob, carol] });

    expect(await bobClient.request({ action: 'addMembers', threadId, userIds: [dave] })).toMatchObject({ code: 'forbidden' });
    const added = await adminClient.request({ action: 'addMembers', threadId, userIds: [dave] });
    expect(added.members).toEqual(expect.arrayContaining([admin, bob, carol, dave]));
    await daveClient.waitFor((frame) => frame.type === 'thread' && frame.threadId === threadId);

    expect(await carolClient.request({ action: 'removeMember', threadId, userId: bob })).toMatchObject({ code: 'forbidden' });
    const removed = await adminClient.request({ action: 'removeMember', threadId, userId: bob });
    expect(removed.members).not.toContain(bob);
    await bobClient.waitFor((frame) => frame.type === 'thread' && Array.isArray(frame.members) && !frame.members.includes(bob));

    // Handed to the chat function directly: once it returns, every member's frame has been posted,
    // and bob's pong, behind anything posted to him, shows he got none.
    await invokeFrame('ChatActions', await connectionOf(admin, 'desk'), { action: 'sendMessage', clientMsgId: 'after', threadId, text: 'bob is gone' });
    await carolClient.waitFor((frame) => frame.type === 'message' && frame.text === 'bob is gone');
    await bobClient.request({ action: 'ping' });
    expect(bobClient.frames.some((frame) => frame.type === 'message')).toBe(false);
    expect(await bobClient.request({ action: 'getMessages', threadId })).toMatchObject({ code: 'forbidden' });
    expect(await bobClient.request({ action: 'sendMessage', clientMsgId: 'x', threadId, text: 'hello?' })).toMatchObject({ code: 'forbidden' });

    const left = await daveClient.request({ action: 'removeMember', threadId, userId: dave });
    expect(left.members).toEqual(expect.arrayContaining([admin, carol]));
    expect(left.members).not.toContain(dave);
  });

  it('refuses membership changes to one-to-one threads and unknown groups', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const { threadId } = await client.request({ action: 'sendMessage', clientMsgId: 'c', to: bob, text: 'hi' });
    expect(await client.request({ action: 'addMembers', threadId, userIds: [uniqueUser('x')] })).toMatchObject({ code: 'bad_request' });
    // An unknown group answers as one the caller is not in (no existence oracle).
    expect(await client.request({ action: 'removeMember', threadId: 'g_nothing', userId: bob })).toMatchObject({ code: 'forbidden', message: 'you are not a member of this thread' });
    expect(await client.request({ action: 'createGroup', name: '', members: [bob] })).toMatchObject({ code: 'bad_request', message: /name/ });
    expect(await client.request({ action: 'createGroup', name: 'x', members: [] })).toMatchObject({ code: 'bad_request', message: /members/ });
  });
});

describe('receipts over real sockets', () => {
  /** Alice sends bob `count` messages; both are connected from device 'desk'. */
  async function conversation(count: number) {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [aliceClient, bobClient] = [await connect(alice, 'desk'), await connect(bob, 'desk')];
    let threadId: unknown;
    for (let i = 1; i <= count; i++) {
      threadId = (await aliceClient.request({ action: 'sendMessage', clientMsgId: `c${i}`, to: bob, text: `m${i}` })).threadId;
    }
    await bobClient.waitFor((frame) => frame.type === 'message' && frame.seq === count);
    return { alice, bob, aliceClient, bobClient, threadId, bobDevice: await connectionOf(bob, 'desk') };
  }

  /** Alice's receipts once everything posted to her so far has arrived (her pong comes behind it). */
  async function receiptsAt(client: TestClient) {
    await client.request({ action: 'ping' });
    return client.frames.filter((frame) => frame.type === 'receipt');
  }

  it('forwards receipts to the other members, moving only forward', async () => {
    const { alice, bob, aliceClient, bobClient, threadId, bobDevice } = await conversation(3);

    bobClient.send({ action: 'ack', threadId, seq: 3, status: 'delivered' });
    expect(await aliceClient.waitFor((frame) => frame.type === 'receipt')).toEqual({ type: 'receipt', threadId, userId: bob, seq: 3, status: 'delivered' });
    // Backwards: handed to the chat function directly, so that the test knows when it has been dealt with.
    await invokeFrame('ChatActions', bobDevice, { action: 'ack', threadId, seq: 2, status: 'delivered' });
    bobClient.send({ action: 'ack', threadId, seq: 2, status: 'read' });
    await aliceClient.waitFor((frame) => frame.type === 'receipt' && frame.status === 'read');
    await invokeFrame('ChatActions', bobDevice, { action: 'ack', threadId, seq: 1, status: 'read' });
    expect(await receiptsAt(aliceClient)).toEqual([
      { type: 'receipt', threadId, userId: bob, seq: 3, status: 'delivered' },
      { type: 'receipt', threadId, userId: bob, seq: 2, status: 'read' },
    ]);
    expect(await receiptsAt(bobClient)).toEqual([]);

    const listing = await bobClient.request({ action: 'listThreads' });
    expect((listing.threads as Frame[]).find((thread) => thread.threadId === threadId)).toMatchObject({
      kind: 'dm',
      members: expect.arrayContaining([alice, bob]),
      lastSeq: 3,
      deliveredSeq: 3,
      readSeq: 2,
      lastMessage: { seq: 3, senderId: alice, text: 'm3' },
    });
  });

  it('takes a read receipt as delivered too', async () => {
    const { bob, aliceClient, bobClient, threadId, bobDevice } = await conversation(3);

    bobClient.send({ action: 'ack', threadId, seq: 2, status: 'read' });
    expect(await aliceClient.waitFor((frame) => frame.type === 'receipt')).toEqual({ type: 'receipt', threadId, userId: bob, seq: 2, status: 'read' });
    const thread = async () => ((await bobClient.request({ action: 'listThreads' })).threads as Frame[]).find((candidate) => candidate.threadId === threadId);
    expect(await thread()).toMatchObject({ deliveredSeq: 2, readSeq: 2 });

    // Delivered up to 2 is implied already: nothing moves, nobody hears of it.
    await invokeFrame('ChatActions', bobDevice, { action: 'ack', threadId, seq: 2, status: 'delivered' });
    expect(await receiptsAt(aliceClient)).toHaveLength(1);
    // Delivered beyond what was read does move.
    bobClient.send({ action: 'ack', threadId, seq: 3, status: 'delivered' });
    expect(await aliceClient.waitFor((frame) => frame.type === 'receipt' && frame.seq === 3)).toMatchObject({ status: 'delivered' });
    expect(await thread()).toMatchObject({ deliveredSeq: 3, readSeq: 2 });
  });

  it('refuses a receipt beyond the last message, from a non-member, and of an unknown status', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const { threadId } = await client.request({ action: 'sendMessage', clientMsgId: 'c', to: bob, text: 'hi' });
    expect(await client.request({ action: 'ack', threadId, seq: 9, status: 'read' })).toMatchObject({ code: 'bad_request', message: /beyond/ });
    expect(await client.request({ action: 'ack', threadId, seq: 1, status: 'seen' })).toMatchObject({ code: 'bad_request', message: /status/ });
    const stranger = await connect(uniqueUser('mallory'));
    expect(await stranger.request({ action: 'ack', threadId, seq: 1, status: 'read' })).toMatchObject({ code: 'forbidden' });
  });
});

describe('listThreads over real sockets', () => {
  it('lists the caller’s threads by latest activity and pages with a cursor', async () => {
    const owner = uniqueUser('owner');
    const client = await connect(owner);
    const peers = Array.from({ length: 23 }, (_, i) => uniqueUser(`peer${i}`));
    for (const peer of peers) await client.request({ action: 'sendMessage', clientMsgId: `to-${peer}`, to: peer, text: `hi ${peer}` });
    const first = await client.request({ action: 'listThreads' });
    const firstThreads = first.threads as Frame[];
    expect(firstThreads).toHaveLength(20);
    expect(firstThreads[0]).toMatchObject({ lastMessage: { text: `hi ${peers[22]}` } });
    expect(typeof first.cursor).toBe('string');
    const second = await client.request({ action: 'listThreads', cursor: first.cursor });
    expect((second.threads as Frame[]).map((thread) => (thread.lastMessage as Frame).text)).toEqual([2, 1, 0].map((i) => `hi ${peers[i]}`));
    expect(second.cursor).toBeUndefined();
    expect(await client.request({ action: 'listThreads', cursor: 'garbage' })).toMatchObject({ code: 'bad_request', message: /cursor/ });

    // New activity in the oldest thread brings it to the top, once history has the message.
    await client.request({ action: 'sendMessage', clientMsgId: 'again', to: peers[0], text: 'back to you' });
    await eventually(
      async () => {
        const top = ((await client.request({ action: 'listThreads' })).threads as Frame[])[0];
        return (top.lastMessage as Frame).text === 'back to you' && top.lastSeq === 2;
      },
      20_000,
      'the thread with the newest message to lead the list',
    );
  });
});
