import { clientsClosedAfterEach, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';
import { connectionOf, functionLog, invokeFrame } from '../support/local-functions';

jest.setTimeout(60_000);

const connect = clientsClosedAfterEach();

async function pushesTo(user: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${localCloud().baseUrl}/dev/push?user=${user}`);
  return ((await response.json()) as { notifications: Array<Record<string, unknown>> }).notifications;
}

/** The push requests for a thread the push function has finished with, in order, as it logs them. */
async function pushRequestsDone(threadId: unknown) {
  return (await functionLog('PushSend')).filter((entry) => entry.threadId === threadId && typeof entry.sent === 'number');
}

describe('typing over real sockets', () => {
  it('reaches the other members, not the typist, at most once a second', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const [aliceClient, bobClient, carolClient] = await Promise.all([alice, bob, carol].map((user) => connect(user, 'desk')));
    const { threadId } = await aliceClient.request({ action: 'createGroup', name: 'Typing', members: [bob, carol] });
    const typist = await connectionOf(alice, 'desk');

    const startedAt = Date.now();
    aliceClient.send({ action: 'typing', threadId, state: 'start' });
    const signal = { type: 'typing', threadId, userId: alice, state: 'start' };
    expect(await bobClient.waitFor((frame) => frame.type === 'typing')).toEqual(signal);
    expect(await carolClient.waitFor((frame) => frame.type === 'typing')).toEqual(signal);
    // Ten more at once, handed to the function directly so that the test knows when all are dealt
    // with; the pongs then come behind anything they posted. At most one a second gets through.
    const burst = 10;
    await Promise.all(Array.from({ length: burst }, () => invokeFrame('PresenceActions', typist, { action: 'typing', threadId, state: 'start' })));
    const spanMs = Date.now() - startedAt;
    await Promise.all([aliceClient, bobClient].map((client) => client.request({ action: 'ping' })));
    const forwarded = bobClient.frames.filter((frame) => frame.type === 'typing').length;
    expect(forwarded).toBeLessThanOrEqual(Math.floor(spanMs / 1000) + 1);
    expect(forwarded).toBeLessThan(1 + burst);
    expect(aliceClient.frames.some((frame) => frame.type === 'typing')).toBe(false);

    // Once the second has passed, the next signal goes out.
    await eventually(
      async () => {
        aliceClient.send({ action: 'typing', threadId, state: 'stop' });
        return bobClient.frames.some((frame) => frame.type === 'typing' && frame.state === 'stop');
      },
      15_000,
      'a stop signal after the second',
    );
  });

  it('forbids typing in a thread you are not in, and refuses a bad state', async () => {
    const [alice, bob, mallory] = ['alice', 'bob', 'mallory'].map(uniqueUser);
    const owner = await connect(alice);
    const { threadId } = await owner.request({ action: 'sendMessage', clientMsgId: 'c', to: bob, text: 'hi' });
    const intruder = await connect(mallory);
    expect(await intruder.request({ action: 'typing', threadId, state: 'start' })).toMatchObject({ code: 'forbidden' });
    expect(await owner.request({ action: 'typing', threadId, state: 'dancing' })).toMatchObject({ code: 'bad_request', message: /state/ });
  });
});

describe('push notifications over real sockets', () => {
  it('notifies an offline recipient’s registered devices, not an online one’s, and stops after unregisterPush', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const bobPhone = await connect(bob);
    expect(await bobPhone.request({ action: 'registerPush', platform: 'fcm', token: `fcm-${bob}` })).toEqual({ type: 'pushRegistered', reqId: 'req-1' });
    // Bob and carol have written to alice, so her group is no message request for them (a request is pushed only while request notifications are on: consent.test.ts).
    await bobPhone.request({ action: 'sendMessage', clientMsgId: 'hi', to: alice, text: 'hi' });
    await bobPhone.close();
    const carolPhone = await connect(carol);
    await carolPhone.request({ action: 'registerPush', platform: 'apns', token: `apns-${carol}` });
    await carolPhone.request({ action: 'sendMessage', clientMsgId: 'hi', to: alice, text: 'hi' });

    const sender = await connect(alice);
    const { threadId } = await sender.request({ action: 'createGroup', name: 'Push', members: [bob, carol] });
    const ack = await sender.request({ action: 'sendMessage', clientMsgId: 'p1', threadId, text: 'are you there?' });

    await eventually(async () => (await pushesTo(bob)).length === 1, 10_000, 'the push to bob');
    expect((await pushesTo(bob))[0]).toMatchObject({ platform: 'fcm', token: `fcm-${bob}`, senderId: alice, threadId, seq: ack.seq, preview: 'are you there?' });
    // Once the push function has logged the request done, all of its pushes have been recorded.
    await eventually(async () => (await pushRequestsDone(threadId)).length === 1, 10_000, 'the push request to be done');
    expect((await pushRequestsDone(threadId))[0]).toMatchObject({ sent: 1 });
    expect(await pushesTo(carol)).toEqual([]);

    const bobAgain = await connect(bob);
    expect(await bobAgain.request({ action: 'unregisterPush', platform: 'fcm', token: `fcm-${bob}` })).toMatchObject({ type: 'pushUnregistered' });
    await bobAgain.close();
    await sender.request({ action: 'sendMessage', clientMsgId: 'p2', threadId, text: 'hello?' });
    await eventually(async () => (await pushRequestsDone(threadId)).length === 2, 10_000, 'the second push request to be done');
    expect((await pushRequestsDone(threadId))[1]).toMatchObject({ sent: 0 });
    expect(await pushesTo(bob)).toHaveLength(1);
  });

  it.each([
    ['an unknown platform', { platform: 'wns', token: 't' }, /platform/],
    ['an empty token', { platform: 'fcm', token: '' }, /token/],
    ['an oversized token', { platform: 'fcm', token: 'x'.repeat(4097) }, /token/],
  ])('refuses registerPush with %s', async (_case, fields, message) => {
    const client = await connect(uniqueUser('dave'));
    expect(await client.request({ action: 'registerPush', ...fields })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(message) });
  });
});
