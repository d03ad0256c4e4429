import { clientsClosedAfterEach, uniqueUser } from '../support/local-cloud-env';
import { expectCleanError, internalNames } from '../support/error-replies';
import type { TestClient } from '../support/ws-client';

jest.setTimeout(60_000);

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();
let names: string[];

beforeAll(async () => {
  names = await internalNames();
});

/** Sends a raw frame (text or binary) and returns the error it gets back. */
async function errorFor(client: TestClient, data: string | Buffer): Promise<Frame> {
  const before = client.frames.length;
  client.socket.send(data);
  return client.waitFor((frame) => frame.type === 'error' && client.frames.indexOf(frame) >= before);
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('error replies over real sockets carry a code and a message for people, nothing of the inside', () => {
  it.each([
    ['text that is not JSON', 'hello?'],
    ['truncated JSON', '{"action":"sendMessage","text":'],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"ping"'],
    ['no action', '{"reqId":"r1"}'],
    ['an action that is not a string', '{"action":42,"reqId":"r1"}'],
    ['an unknown action', '{"action":"teleport","reqId":"r1"}'],
    ['an action named like an object property', '{"action":"constructor","reqId":"r1"}'],
    ['an action named __proto__', '{"action":"__proto__","reqId":"r1"}'],
    ['a reqId over 64 characters', JSON.stringify({ action: 'ping', reqId: 'r'.repeat(65) })],
    ['a binary frame', Buffer.from([0, 159, 146, 150])],
  ])('bad_request for %s', async (_case, data) => {
    const client = await connect(uniqueUser('erin'));
    expectCleanError(await errorFor(client, data), names, 'bad_request');
    // The connection stays usable.
    expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it.each([
    ['sendMessage without fields', { action: 'sendMessage' }],
    ['sendMessage with text of the wrong type', { action: 'sendMessage', clientMsgId: 'c', to: 'bob', text: { nested: true } }],
    ['sendMessage with text over 4000 characters', { action: 'sendMessage', clientMsgId: 'c', to: 'bob', text: 'x'.repeat(4001) }],
    ['sendMessage with a threadId over 128 characters', { action: 'sendMessage', clientMsgId: 'c', threadId: 't'.repeat(129), text: 'x' }],
    ['sendMessage to a user id outside the contract', { action: 'sendMessage', clientMsgId: 'c', to: '../../etc', text: 'x' }],
    ['getMessages with a fractional limit', { action: 'getMessages', threadId: 'g_x', limit: 2.5 }],
    ['getMessages with a seq beyond safe integers', { action: 'getMessages', threadId: 'g_x', afterSeq: 2 ** 60 }],
    ['createGroup with 1025 members', { action: 'createGroup', name: 'x', members: Array.from({ length: 1025 }, (_, i) => `u${i}`) }],
    ['listThreads with a cursor that is not one', { action: 'listThreads', cursor: 'garbage' }],
    ['listThreads with a forged cursor of the wrong shape', { action: 'listThreads', cursor: cursorOf({ threadId: 'x', lastActivity: 'soon' }) }],
    ['subscribePresence with no users', { action: 'subscribePresence', userIds: [] }],
    ['registerPush for an unknown platform', { action: 'registerPush', platform: 'wns', token: 't' }],
    ['a receipt of an unknown status', { action: 'ack', threadId: 'g_x', seq: 1, status: 'seen' }],
    ['typing with an unknown state', { action: 'typing', threadId: 'g_x', state: 'dancing' }],
  ])('bad_request for %s', async (_case, frame) => {
    const client = await connect(uniqueUser('frank'));
    expectCleanError(await client.request(frame), names, 'bad_request');
  });

  it('a clean reply for a forged cursor that the store cannot use', async () => {
    // An empty thread id in the cursor reaches DynamoDB as an invalid start key. The reply is
    // `internal` today; it should be `bad_request`, but whichever it is, it must not say why.
    const client = await connect(uniqueUser('heidi'));
    expectCleanError(await client.request({ action: 'listThreads', cursor: cursorOf([1, '']) }), names);
  });

  it('forbidden (also for threads that do not exist) and not_found, for every action on a thread', async () => {
    const [alice, bob, mallory] = ['alice', 'bob', 'mallory'].map(uniqueUser);
    const owner = await connect(alice);
    const { threadId } = await owner.request({ action: 'sendMessage', clientMsgId: 'c', to: bob, text: 'private' });
    const { threadId: groupId } = await owner.request({ action: 'createGroup', name: 'Owners', members: [bob] });
    const intruder = await connect(mallory);
    const member = await connect(bob);

    for (const frame of [
      { action: 'sendMessage', clientMsgId: 'intrude', threadId, text: 'let me in' },
      { action: 'getMessages', threadId },
      { action: 'ack', threadId, seq: 1, status: 'read' },
      { action: 'typing', threadId, state: 'start' },
      { action: 'addMembers', threadId: groupId, userIds: [mallory] },
      { action: 'removeMember', threadId: groupId, userId: bob },
    ]) {
      expectCleanError(await intruder.request(frame), names, 'forbidden');
    }
    expectCleanError(await member.request({ action: 'removeMember', threadId: groupId, userId: alice }), names, 'forbidden');

    for (const frame of [
      { action: 'sendMessage', clientMsgId: 'to-nowhere', threadId: 'g_nothing-here', text: 'anyone?' },
      { action: 'getMessages', threadId: 'g_nothing-here' },
      { action: 'ack', threadId: 'g_nothing-here', seq: 1, status: 'read' },
      { action: 'removeMember', threadId: 'g_nothing-here', userId: bob },
    ]) {
      expectCleanError(await owner.request(frame), names, 'forbidden');
    }
    expectCleanError(await owner.request({ action: 'removeMember', threadId: groupId, userId: mallory }), names, 'not_found');
    // A receipt beyond the thread's last message: the rule, not the store's complaint.
    expectCleanError(await owner.request({ action: 'ack', threadId, seq: 99, status: 'read' }), names, 'bad_request');
  });

  it('closes the connection with 1009 for a frame over 32 KB, without a reason that gives anything away', async () => {
    const client = await connect(uniqueUser('grace'));
    client.send(JSON.stringify({ action: 'ping', padding: 'x'.repeat(33 * 1024) }));
    const { code, reason } = await client.closed;
    expect(code).toBe(1009);
    for (const name of names) expect(reason).not.toContain(name);
    expect(reason).not.toMatch(/arn:|Error|Exception|\.[jt]s:\d/);
  });
});
