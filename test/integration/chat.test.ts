import { Client } from 'cassandra-driver';
import { clientsClosedAfterEach, connectionRegistry, eventually, standIns, uniqueUser } from '../support/local-cloud-env';
import type { TestClient } from '../support/ws-client';

jest.setTimeout(90_000);

type Frame = Record<string, unknown>;

let registry: Awaited<ReturnType<typeof connectionRegistry>>;
const connect = clientsClosedAfterEach();

beforeAll(async () => {
  registry = await connectionRegistry();
});
afterAll(() => registry.close());

const isMessage = (seq: number) => (frame: Frame) => frame.type === 'message' && frame.seq === seq;

describe('one-to-one chat over real sockets', () => {
  it('acks the sender, delivers to the recipient and to the sender’s other devices, both ways', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const alicePhone = await connect(alice, 'phone');
    const aliceLaptop = await connect(alice, 'laptop');
    const bobPhone = await connect(bob);

    const ack = await alicePhone.request({ action: 'sendMessage', clientMsgId: 'c-1', to: bob, text: 'hi bob' });
    expect(ack).toEqual({
      type: 'ack',
      reqId: 'req-1',
      status: 'sent',
      clientMsgId: 'c-1',
      threadId: expect.any(String),
      seq: 1,
      messageId: expect.any(String),
      sentAt: expect.any(Number),
    });
    const expected = {
      type: 'message',
      threadId: ack.threadId,
      seq: 1,
      messageId: ack.messageId,
      senderId: alice,
      clientMsgId: 'c-1',
      text: 'hi bob',
      sentAt: ack.sentAt,
    };
    expect(await bobPhone.waitFor(isMessage(1))).toEqual(expected);
    expect(await aliceLaptop.waitFor(isMessage(1))).toEqual(expected);

    const reply = await bobPhone.request({ action: 'sendMessage', clientMsgId: 'c-1', to: alice, text: 'hello alice' });
    expect(reply).toMatchObject({ threadId: ack.threadId, seq: 2 });
    await alicePhone.waitFor(isMessage(2));
    await aliceLaptop.waitFor(isMessage(2));
    expect(alicePhone.frames.filter((frame) => frame.type === 'message').map((frame) => frame.seq)).toEqual([2]);
  });

  it('lets an offline recipient catch up with getMessages afterSeq, at once after the ack', async () => {
    const [alice, carol] = [uniqueUser('alice'), uniqueUser('carol')];
    const sender = await connect(alice);
    let threadId = '';
    for (const [i, text] of ['one', 'two', 'three'].entries()) {
      threadId = String((await sender.request({ action: 'sendMessage', clientMsgId: `m${i}`, to: carol, text })).threadId);
    }
    const reader = await connect(carol);
    const page = await reader.request({ action: 'getMessages', threadId, afterSeq: 0 });
    expect(page).toMatchObject({ type: 'messages', threadId, hasMore: false });
    expect((page.messages as Frame[]).map((message) => [message.seq, message.text, message.senderId])).toEqual([
      [1, 'one', alice],
      [2, 'two', alice],
      [3, 'three', alice],
    ]);
    const rest = await reader.request({ action: 'getMessages', threadId, afterSeq: 2, limit: 10 });
    expect((rest.messages as Frame[]).map((message) => message.seq)).toEqual([3]);
    const back = await reader.request({ action: 'getMessages', threadId, beforeSeq: 3, limit: 1 });
    expect(back).toMatchObject({ hasMore: true, messages: [{ seq: 2 }] });
  });

  it('answers a retried clientMsgId with the same ack and creates nothing new', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const first = await client.request({ action: 'sendMessage', clientMsgId: 'same', to: bob, text: 'once' });
    const again = await client.request({ action: 'sendMessage', clientMsgId: 'same', to: bob, text: 'once' });
    const { reqId: _a, ...firstAck } = first;
    const { reqId: _b, ...retryAck } = again;
    expect(retryAck).toEqual(firstAck);
    const page = await client.request({ action: 'getMessages', threadId: first.threadId });
    expect(page.messages).toHaveLength(1);
  });

  /**
   * Sends as a client app does: a thread too busy to give the message a seq within about 10 s
   * (sixteen sends racing on a loaded machine) answers rate_limited, and the same frame is sent again.
   */
  async function sendUntilAcked(device: TestClient, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      const reply = await device.request(frame, 30_000);
      if (reply.type === 'ack' || reply.code !== 'rate_limited' || attempt === 5) return reply;
    }
  }

  it('gives one gapless order to concurrent sends from both users and all their devices', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const devices = [await connect(alice, 'a1'), await connect(alice, 'a2'), await connect(bob, 'b1'), await connect(bob, 'b2')];
    const first = await devices[0].request({ action: 'sendMessage', clientMsgId: 'open', to: bob, text: 'open' });
    const threadId = first.threadId;
    const perDevice = 4;
    const acks = (
      await Promise.all(
        devices.map((device, d) =>
          Promise.all(
            Array.from({ length: perDevice }, (_, i) => sendUntilAcked(device, { action: 'sendMessage', clientMsgId: `d${d}-${i}`, threadId, text: `from ${d}: ${i}` })),
          ),
        ),
      )
    ).flat();
    const total = 1 + devices.length * perDevice;
    expect(acks.map((ack) => ack.seq).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: total - 1 }, (_, i) => i + 2));

    // Every device knows each message by the same seq: its own acks plus the frames it received.
    const truth = new Map([[1, first.messageId], ...acks.map((ack) => [ack.seq, ack.messageId] as [unknown, unknown])]);
    for (const device of devices) {
      await eventually(async () => device.frames.filter((frame) => frame.type === 'message' || frame.type === 'ack').length >= total - 1, 15_000, 'all frames');
      for (const frame of device.frames.filter((candidate) => candidate.type === 'message' || candidate.type === 'ack')) {
        expect(truth.get(frame.seq)).toBe(frame.messageId);
      }
    }
    const history = await devices[3].request({ action: 'getMessages', threadId, limit: 100 });
    expect((history.messages as Frame[]).map((message) => message.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('writes messages to history in Cassandra through the queue', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'h1', to: bob, text: 'for the record' });
    const cassandra = new Client({ contactPoints: [(await standIns()).cassandra.endpoint], localDataCenter: 'datacenter1' });
    try {
      await eventually(
        async () =>
          (await cassandra.execute('SELECT body FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [ack.threadId], { prepare: true }))
            .rowLength === 1,
        20_000,
        'the message to reach history',
      );
    } finally {
      await cassandra.shutdown();
    }
  });

  it('delivers to a connection that predates the connection lists (its user has none), and makes the list then', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const bobClient = await connect(bob);
    const [record] = await registry.connectionsOf(bob);
    // As after deploying over a registry without lists: a record, no list.
    await registry.dropList(bob);
    const client = await connect(alice);
    expect(await client.request({ action: 'sendMessage', clientMsgId: 'old-1', to: bob, text: 'still there?' })).toMatchObject({ status: 'sent' });
    await bobClient.waitFor((frame) => frame.type === 'message' && frame.clientMsgId === 'old-1');
    expect(await registry.listOf(bob)).toEqual([record.connectionId]);
  });

  it('forgets a recipient connection the gateway reports gone, and still acks', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const now = Date.now();
    await registry.put({ userId: bob, connectionId: 'ghost=', deviceId: 'ghost=', connectedAt: now, lastActiveAt: now, expiresAt: Math.floor(now / 1000) + 600 });
    const client = await connect(alice);
    expect(await client.request({ action: 'sendMessage', clientMsgId: 'g1', to: bob, text: 'anyone?' })).toMatchObject({ status: 'sent' });
    await eventually(async () => (await registry.connectionsOf(bob)).length === 0, 15_000, 'the gone connection to be forgotten');
    // Off his list as well: the next delivery does not post to it again.
    expect(await registry.listOf(bob)).toEqual([]);
  });
});

describe('bad input to chat actions: an error code, and nothing written', () => {
  it.each([
    ['no clientMsgId', { to: 'bob', text: 'x' }, 'bad_request', /clientMsgId/],
    ['both to and threadId', { clientMsgId: 'c', to: 'bob', threadId: 't', text: 'x' }, 'bad_request', /exactly one of to and threadId/],
    ['neither to nor threadId', { clientMsgId: 'c', text: 'x' }, 'bad_request', /exactly one of to and threadId/],
    ['empty text', { clientMsgId: 'c', to: 'bob', text: '' }, 'bad_request', /text must be 1-4000 characters/],
    ['text over 4000 characters', { clientMsgId: 'c', to: 'bob', text: 'x'.repeat(4001) }, 'bad_request', /text must be 1-4000 characters/],
    ['text of the wrong type', { clientMsgId: 'c', to: 'bob', text: 42 }, 'bad_request', /text/],
    ['a clientMsgId over 64 characters', { clientMsgId: 'c'.repeat(65), to: 'bob', text: 'x' }, 'bad_request', /clientMsgId/],
    ['a recipient id outside the contract', { clientMsgId: 'c', to: 'bob smith', text: 'x' }, 'bad_request', /to/],
    ['a message to yourself', { clientMsgId: 'c', to: 'SELF', text: 'x' }, 'bad_request', /yourself/],
    ['an unknown thread (answered as one the sender is not in)', { clientMsgId: 'c', threadId: 'g_unknown', text: 'x' }, 'forbidden', /not a member of this thread/],
  ])('sendMessage with %s', async (_case, fields, code, message) => {
    const user = uniqueUser('erin');
    const client = await connect(user);
    const frame = { action: 'sendMessage', ...fields, ...((fields as { to?: unknown }).to === 'SELF' ? { to: user } : {}) };
    expect(await client.request(frame)).toMatchObject({ type: 'error', code, message: expect.stringMatching(message) });
  });

  it('forbids sending to and reading a thread the caller is not a member of, and writes nothing', async () => {
    const [alice, bob, mallory] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('mallory')];
    const owner = await connect(alice);
    const { threadId } = await owner.request({ action: 'sendMessage', clientMsgId: 'c', to: bob, text: 'private' });
    const intruder = await connect(mallory);
    expect(await intruder.request({ action: 'sendMessage', clientMsgId: 'c', threadId, text: 'let me in' })).toMatchObject({ code: 'forbidden' });
    expect(await intruder.request({ action: 'getMessages', threadId })).toMatchObject({ code: 'forbidden' });
    const page = await owner.request({ action: 'getMessages', threadId });
    expect((page.messages as Frame[]).map((message) => message.text)).toEqual(['private']);
  });

  it.each([
    ['a limit of 0', { limit: 0 }, /limit must be 1-100/],
    ['a limit over 100', { limit: 101 }, /limit must be 1-100/],
    ['both afterSeq and beforeSeq', { afterSeq: 1, beforeSeq: 5 }, /at most one of afterSeq and beforeSeq/],
    ['a negative afterSeq', { afterSeq: -1 }, /afterSeq/],
    ['no threadId', { threadId: undefined }, /threadId/],
  ])('getMessages with %s', async (_case, fields, message) => {
    const client = await connect(uniqueUser('frank'));
    expect(await client.request({ action: 'getMessages', threadId: 'g_x', ...fields })).toMatchObject({
      type: 'error',
      code: 'bad_request',
      message: expect.stringMatching(message),
    });
  });
});
