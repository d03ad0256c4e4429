import { clientsClosedAfterEach, eventually, uniqueUser } from '../support/local-cloud-env';
import { expectCleanError, internalNames } from '../support/error-replies';
import { ownCloudForThisFile } from '../support/own-cloud';
import { keepSendRateSpent } from '../support/budgets';

jest.setTimeout(300_000);

// A cloud of its own: a 1024-member group and a burst of sends keep a local cloud busy for long
// enough to slow every test sharing it past its deadlines.
ownCloudForThisFile();

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();

/** docs/protocol.md: a group holds at most 1024 members; a user sends at most 20 messages a second. */
const MAX_GROUP_MEMBERS = 1024;
const MAX_SENDS_PER_SECOND = 20;

describe('the group cap over real sockets', () => {
  it('holds a group of 1024 members and refuses a 1025th, when creating and when adding', async () => {
    const creator = uniqueUser('host');
    // Short ids, so that 1024 of them fit in one 32 KB frame.
    const run = Math.random().toString(36).slice(2, 8);
    const others = Array.from({ length: MAX_GROUP_MEMBERS - 1 }, (_, i) => `m${i}-${run}`);
    const extra = `m${MAX_GROUP_MEMBERS - 1}-${run}`;
    const client = await connect(creator);

    const tooBig = await client.request({ action: 'createGroup', name: 'Too big', members: [...others, extra] }, 120_000);
    expect(tooBig).toMatchObject({ type: 'error', code: 'bad_request', message: expect.stringMatching(/1024/) });

    const full = await client.request({ action: 'createGroup', name: 'Full', members: others }, 120_000);
    expect(full).toMatchObject({ type: 'thread', kind: 'group', admins: [creator] });
    expect(new Set(full.members as string[])).toEqual(new Set([creator, ...others]));
    const { threadId } = full;

    expect(await client.request({ action: 'addMembers', threadId, userIds: [extra] }, 120_000)).toMatchObject({
      type: 'error',
      code: 'bad_request',
      message: expect.stringMatching(/1024/),
    });
    // A place freed is a place to fill.
    await client.request({ action: 'removeMember', threadId, userId: others[0] }, 120_000);
    const refilled = await client.request({ action: 'addMembers', threadId, userIds: [extra] }, 120_000);
    expect(refilled.members).toHaveLength(MAX_GROUP_MEMBERS);
    expect(refilled.members).toContain(extra);
    expect(await client.request({ action: 'sendMessage', clientMsgId: 'hello-all', threadId, text: 'welcome, all 1023 of you' }, 120_000)).toMatchObject({
      type: 'ack',
      seq: 1,
    });
  });
});

describe('the group cap under concurrent adds over real sockets', () => {
  it('never lets two adds that each fit pass the cap together', async () => {
    const creator = uniqueUser('host');
    const run = Math.random().toString(36).slice(2, 8);
    const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}-${run}`);
    const [desk, phone] = [await connect(creator, 'desk'), await connect(creator, 'phone')];
    const { threadId } = await desk.request({ action: 'createGroup', name: 'Busy', members: ids('a', 623) }, 120_000);

    // 624 + 250 fits, and so does each on its own; together they would be 1124.
    const replies = await Promise.all([
      desk.request({ action: 'addMembers', threadId, userIds: ids('b', 250) }, 120_000),
      phone.request({ action: 'addMembers', threadId, userIds: ids('c', 250) }, 120_000),
    ]);

    expect(replies.filter((reply) => reply.type === 'error')).not.toHaveLength(0);
    for (const reply of replies) if (reply.type === 'error') expect(reply).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/1024/) });
    // Adding someone already in changes nothing and answers the members as they are now.
    const now = await desk.request({ action: 'addMembers', threadId, userIds: [creator] }, 120_000);
    expect((now.members as string[]).length).toBeLessThanOrEqual(MAX_GROUP_MEMBERS);
    expect((now.members as string[]).length).toBeGreaterThan(624);
  });
});

describe('the send rate limit over real sockets', () => {
  it('answers rate_limited to the excess of a burst, and loses and repeats none of the messages it took', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [sender, receiver] = await Promise.all([connect(alice), connect(bob)]);
    const { threadId } = await sender.request({ action: 'sendMessage', clientMsgId: 'first', to: bob, text: 'before the burst' });
    // Spent for the first 3 s of the burst, then refilling at 20 a second.
    const fitsAgainAt = await keepSendRateSpent(alice, 3_000);

    const burst = 40;
    const startedAt = Date.now();
    const replies = await Promise.all(
      Array.from({ length: burst }, (_, i) => sender.request({ action: 'sendMessage', clientMsgId: `b${i}`, threadId, text: `burst ${i}` }, 120_000)),
    );
    const endedAt = Date.now();
    const accepted = replies.filter((reply) => reply.type === 'ack');
    const refused = replies.flatMap((reply, i) => (reply.type === 'error' ? [{ reply, clientMsgId: `b${i}` }] : []));
    expect(accepted.length + refused.length).toBe(burst);
    expect(startedAt).toBeLessThan(fitsAgainAt);
    expect(accepted.length).toBeLessThanOrEqual(1 + Math.floor((MAX_SENDS_PER_SECOND * Math.max(0, endedAt - fitsAgainAt)) / 1000));
    expect(refused.length).toBeGreaterThan(0);
    const names = await internalNames();
    for (const { reply } of refused) {
      expectCleanError(reply, names, 'rate_limited');
      expect(reply.message).toMatch(/20 messages a second/);
    }

    // What was taken has one gapless order after the first message, each message once, for the recipient and in history.
    const seqs = accepted.map((ack) => Number(ack.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: accepted.length }, (_, i) => i + 2));
    const acceptedIds = accepted.map((ack) => ack.clientMsgId).sort();
    const received = () => receiver.frames.filter((frame) => frame.type === 'message' && frame.clientMsgId !== 'first');
    await eventually(async () => received().length >= accepted.length, 20_000, 'the recipient to get every accepted message');
    expect(received().map((frame) => frame.clientMsgId).sort()).toEqual(acceptedIds);
    const history = await sender.request({ action: 'getMessages', threadId, limit: 100 });
    expect((history.messages as Frame[]).map((message) => message.clientMsgId).sort()).toEqual(['first', ...acceptedIds].sort());

    // A refused message sent again a moment later goes through, after everything before it.
    let retried: Frame | undefined;
    await eventually(
      async () => {
        retried = await sender.request({ action: 'sendMessage', clientMsgId: refused[0].clientMsgId, threadId, text: 'again' });
        return retried.type === 'ack';
      },
      15_000,
      'the refused message to be accepted when sent again',
    );
    expect(retried).toMatchObject({ seq: accepted.length + 2 });
  });
});
