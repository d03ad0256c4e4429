import { directThreadId } from '../../lambdas/domain/chat/threads';
import { clientsClosedAfterEach, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';
import { connectionOf, invokeFrame } from '../support/local-functions';
import type { TestClient } from '../support/ws-client';

jest.setTimeout(90_000);

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();

async function pushesTo(user: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${localCloud().baseUrl}/dev/push?user=${user}`);
  return ((await response.json()) as { notifications: Array<Record<string, unknown>> }).notifications;
}

/** Registers a push device for `user` and leaves them offline; with `requestNotifications: false`, nothing is pushed for their requests. */
async function offlineWithDevice(user: string, settings?: { requestNotifications: boolean }): Promise<void> {
  const phone = await connect(user);
  await phone.request({ action: 'registerPush', platform: 'fcm', token: `fcm-${user}` });
  if (settings) expect(await phone.request({ action: 'updateSettings', ...settings })).toMatchObject({ type: 'settings', ...settings });
  await phone.close();
}

const listing = async (client: TestClient, threadId: unknown) =>
  ((await client.request({ action: 'listThreads' })).threads as Frame[]).find((thread) => thread.threadId === threadId);

describe('message requests over real sockets', () => {
  it('puts a victim added to a stranger’s group among requests; pushes them nothing until they accept when they turned request notifications off, and pushes it by default', async () => {
    const [mallory, friend, victim, bystander] = ['mallory', 'friend', 'victim', 'bystander'].map(uniqueUser);
    // The friend has written to mallory before, so accepts her; the victim and the bystander never heard of her.
    const friendClient = await connect(friend);
    await friendClient.request({ action: 'sendMessage', clientMsgId: 'hello', to: mallory, text: 'hello' });
    await friendClient.close();
    await offlineWithDevice(friend);
    await offlineWithDevice(victim, { requestNotifications: false });
    await offlineWithDevice(bystander);

    const attacker = await connect(mallory);
    const { threadId } = await attacker.request({ action: 'createGroup', name: 'Free prizes', members: [friend, victim, bystander] });
    await attacker.request({ action: 'sendMessage', clientMsgId: 'spam-1', threadId, text: 'click here' });
    // One push request per message names every recipient: once the others' pushes are there, the victim's would be too.
    await eventually(async () => (await pushesTo(friend)).length === 1, 10_000, 'the push to the friend');
    // The bystander kept the default: a request is pushed like any message, as the contract says.
    await eventually(async () => (await pushesTo(bystander)).length === 1, 10_000, 'the push of the request to the bystander');
    expect((await pushesTo(bystander))[0]).toMatchObject({ threadId, senderId: mallory, preview: 'click here' });
    expect(await pushesTo(victim)).toEqual([]);

    const victimClient = await connect(victim);
    expect(await listing(victimClient, threadId)).toMatchObject({ threadId, request: true });
    expect(await listing(await connect(friend), threadId)).not.toHaveProperty('request');
    expect(await victimClient.request({ action: 'acceptRequest', threadId })).toEqual({ type: 'requestAccepted', reqId: 'req-2', threadId });
    expect(await listing(victimClient, threadId)).not.toHaveProperty('request');
    await victimClient.close();
    await attacker.request({ action: 'sendMessage', clientMsgId: 'spam-2', threadId, text: 'welcome' });
    await eventually(async () => (await pushesTo(victim)).length === 1, 10_000, 'the push to the victim once accepted');
  });

  it('delivers a stranger’s first message live as a request; declining takes it off the list, and the sender is told nothing', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const [aliceClient, bobClient] = await Promise.all([connect(alice), connect(bob)]);
    const ack = await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'hi, stranger' });
    expect(await bobClient.waitFor((frame) => frame.type === 'message')).toMatchObject({ threadId: ack.threadId, text: 'hi, stranger' });
    expect(await listing(bobClient, ack.threadId)).toMatchObject({ request: true });
    expect(await listing(aliceClient, ack.threadId)).not.toHaveProperty('request');

    expect(await bobClient.request({ action: 'declineRequest', threadId: ack.threadId })).toMatchObject({ type: 'requestDeclined', threadId: ack.threadId });
    expect(await listing(bobClient, ack.threadId)).toBeUndefined();
    expect(await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c2', threadId: ack.threadId, text: 'still there?' })).toMatchObject({ type: 'ack', seq: 2 });
  });
});

describe('blocking over real sockets', () => {
  it('refuses the blocked user’s messages with Messenger’s "unavailable", sends nothing, and lists the block until it is undone', async () => {
    const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
    const [aliceClient, bobClient] = await Promise.all([connect(alice), connect(bob)]);
    const first = await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'hi' });
    expect(await bobClient.request({ action: 'blockUser', userId: alice })).toEqual({ type: 'blocked', reqId: 'req-1', userId: alice });

    const unavailable = { type: 'error', code: 'forbidden', message: 'this person is unavailable right now' };
    expect(await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c2', to: bob, text: 'why?' })).toMatchObject(unavailable);
    expect(await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c3', threadId: first.threadId, text: 'hello?' })).toMatchObject(unavailable);
    expect(await bobClient.request({ action: 'sendMessage', clientMsgId: 'b1', to: alice, text: 'go away' })).toMatchObject({ code: 'forbidden', message: /you have blocked/ });
    // Nothing was committed: the thread still ends at the first message.
    expect(await bobClient.request({ action: 'getMessages', threadId: first.threadId })).toMatchObject({ messages: [expect.objectContaining({ seq: 1 })], hasMore: false });
    expect(bobClient.frames.filter((frame) => frame.type === 'message')).toHaveLength(1);
    expect(await bobClient.request({ action: 'listBlocks' })).toMatchObject({ type: 'blocks', userIds: [alice] });

    expect(await bobClient.request({ action: 'unblockUser', userId: alice })).toMatchObject({ type: 'unblocked', userId: alice });
    expect(await bobClient.request({ action: 'listBlocks' })).toMatchObject({ userIds: [] });
    expect(await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c4', to: bob, text: 'friends again?' })).toMatchObject({ type: 'ack', seq: 2 });
  });

  it('hides typing between two members of a group who blocked one another, and keeps them out of each other’s groups', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const [aliceClient, bobClient, carolClient] = await Promise.all([connect(alice, 'desk'), connect(bob), connect(carol)]);
    const { threadId } = await carolClient.request({ action: 'createGroup', name: 'Both', members: [alice, bob] });
    expect(await bobClient.request({ action: 'blockUser', userId: alice })).toMatchObject({ type: 'blocked' });

    // Handed to the function directly: once it returns, every post it made has been made.
    await invokeFrame('PresenceActions', await connectionOf(alice, 'desk'), { action: 'typing', threadId, state: 'start' });
    expect(await carolClient.waitFor((frame) => frame.type === 'typing')).toMatchObject({ userId: alice });
    await bobClient.request({ action: 'ping' });
    expect(bobClient.frames.filter((frame) => frame.type === 'typing')).toEqual([]);

    const group = await aliceClient.request({ action: 'createGroup', name: 'Without bob', members: [bob, carol] });
    expect(group.members).toEqual([alice, carol]);
  });
});

describe('no existence oracle over real sockets', () => {
  it('answers a stranger the same for a thread two users share and for one that does not exist', async () => {
    const [alice, bob, carol, mallory] = ['alice', 'bob', 'carol', 'mallory'].map(uniqueUser);
    const aliceClient = await connect(alice);
    const { threadId: existing } = await aliceClient.request({ action: 'sendMessage', clientMsgId: 'c', to: bob, text: 'private' });
    expect(existing).toBe(directThreadId(alice, bob));
    const neverTalked = directThreadId(alice, carol);
    const intruder = await connect(mallory);

    const answers = async (threadId: string) => {
      const frames: Frame[] = [
        { action: 'sendMessage', clientMsgId: `probe-${threadId}`, threadId, text: 'probe' },
        { action: 'getMessages', threadId },
        { action: 'ack', threadId, seq: 1, status: 'read' },
        { action: 'typing', threadId, state: 'start' },
        { action: 'addMembers', threadId, userIds: [mallory] },
        { action: 'removeMember', threadId, userId: alice },
        { action: 'acceptRequest', threadId },
        { action: 'declineRequest', threadId },
      ];
      const replies = [];
      for (const frame of frames) {
        const { reqId: _reqId, ...reply } = await intruder.request(frame);
        replies.push(reply);
      }
      return replies;
    };
    const onExisting = await answers(existing as string);
    expect(onExisting.every((reply) => reply.code === 'forbidden' && reply.message === 'you are not a member of this thread')).toBe(true);
    expect(await answers(neverTalked)).toEqual(onExisting);
  });
});

describe('group history for new members over real sockets', () => {
  it('shows a member added later only what follows under sinceJoined, everything under all, and only admins change it', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const [aliceClient, bobClient] = await Promise.all([connect(alice), connect(bob)]);
    const created = await aliceClient.request({ action: 'createGroup', name: 'Fresh starts', members: [bob], historyForNewMembers: 'sinceJoined' });
    expect(created).toMatchObject({ type: 'thread', historyForNewMembers: 'sinceJoined' });
    const threadId = created.threadId;
    for (const text of ['before 1', 'before 2']) await aliceClient.request({ action: 'sendMessage', clientMsgId: text, threadId, text });
    await aliceClient.request({ action: 'addMembers', threadId, userIds: [carol] });
    await aliceClient.request({ action: 'sendMessage', clientMsgId: 'after', threadId, text: 'after' });

    const carolClient = await connect(carol);
    const texts = async (client: TestClient, range: Frame = {}) =>
      ((await client.request({ action: 'getMessages', threadId, ...range })).messages as Frame[]).map((message) => message.text);
    expect(await texts(carolClient)).toEqual(['after']);
    expect(await texts(carolClient, { afterSeq: 0 })).toEqual(['after']);
    expect(await texts(carolClient, { beforeSeq: 3 })).toEqual([]);
    expect(await texts(bobClient)).toEqual(['before 1', 'before 2', 'after']);

    expect(await bobClient.request({ action: 'updateGroup', threadId, historyForNewMembers: 'all' })).toMatchObject({ code: 'forbidden' });
    expect(await aliceClient.request({ action: 'updateGroup', threadId, historyForNewMembers: 'all' })).toMatchObject({ type: 'thread', historyForNewMembers: 'all' });
    expect(await texts(carolClient)).toEqual(['before 1', 'before 2', 'after']);
  });
});
