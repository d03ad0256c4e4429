import { clientsClosedAfterEach, connectionRegistry, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';
import { faults, faultsDisarmedAfterEach, firedOf, postFault } from '../support/faults';

jest.setTimeout(90_000);

type Frame = Record<string, unknown>;

const connect = clientsClosedAfterEach();
const arm = faultsDisarmedAfterEach();
let registry: Awaited<ReturnType<typeof connectionRegistry>>;

beforeAll(async () => {
  registry = await connectionRegistry();
});
afterAll(() => registry.close());

/** What API Gateway sends a client whose route's integration failed. */
const isGatewayError = (frame: Frame) => frame.message === 'Internal server error' && typeof frame.requestId === 'string' && frame.type === undefined;

describe('the fault injector (/dev/faults) over real sockets', () => {
  it('kills the chat function right after a send commits: the client gets the gateway\'s error, the message is committed, the next send is acked', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const faultId = await arm({ kind: 'kill', function: 'ChatActions', point: 'chat.committed', userId: alice });

    client.send({ action: 'sendMessage', reqId: 'dies', clientMsgId: 'c-1', to: bob, text: 'committed, then the function died' });
    await client.waitFor(isGatewayError);
    // Killed before the ack: no reply of the function's own.
    expect(client.frames.filter((frame) => frame.reqId === 'dies')).toEqual([]);

    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'c-2', to: bob, text: 'after the crash' });
    expect(ack).toMatchObject({ type: 'ack', status: 'sent', seq: 2 });
    const page = await client.request({ action: 'getMessages', threadId: ack.threadId });
    expect((page.messages as Frame[]).map(({ seq, clientMsgId, text }) => ({ seq, clientMsgId, text }))).toEqual([
      { seq: 1, clientMsgId: 'c-1', text: 'committed, then the function died' },
      { seq: 2, clientMsgId: 'c-2', text: 'after the crash' },
    ]);

    const state = await faults();
    expect(state.fired.filter((fired) => fired.faultId === faultId)).toEqual([
      { kind: 'kill', faultId, function: expect.stringMatching(/^ChatActions/), point: 'chat.committed', requestId: expect.any(String), at: expect.any(String) },
    ]);
    // Spent after its one kill.
    expect(state.armed.map((armed) => armed.id)).not.toContain(faultId);
  });

  it('kills every invocation of the function at a random moment with probability 1, and stops when disarmed', async () => {
    const alice = uniqueUser('alice');
    const client = await connect(alice);
    const faultId = await arm({ kind: 'kill', function: 'ChatActions', point: 'random', probability: 1, withinMs: 100, seed: 10, userId: alice });

    for (let i = 0; i < 3; i++) {
      client.send({ action: 'listThreads', reqId: `list-${i}` });
      await eventually(async () => client.frames.filter(isGatewayError).length === i + 1, 30_000, `gateway error ${i + 1}`);
    }
    expect(client.frames.filter((frame) => typeof frame.reqId === 'string' && frame.reqId.startsWith('list-'))).toEqual([]);
    expect((await firedOf(faultId)).map((fired) => fired.point)).toEqual(['random', 'random', 'random']);

    await fetch(`${localCloud().baseUrl}/dev/faults/${faultId}`, { method: 'DELETE' });
    expect(await client.request({ action: 'listThreads' })).toMatchObject({ type: 'threads' });
  });

  it('answers 410 for a user\'s connections: a message to them counts the connection as gone, and the registry forgets it', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const sender = await connect(alice);
    const recipient = await connect(bob);
    expect(await registry.connectionsOf(bob)).toHaveLength(1);
    const faultId = await arm({ kind: 'connection', userId: bob, status: 410 });

    await sender.request({ action: 'sendMessage', clientMsgId: 'c-1', to: bob, text: 'to a connection that answers gone' });
    await eventually(async () => (await registry.connectionsOf(bob)).length === 0, 15_000, "bob's connection to be forgotten");
    expect(await firedOf(faultId)).toEqual([
      { kind: 'connection', faultId, connectionId: expect.any(String), userId: bob, method: 'POST', status: 410, at: expect.any(String) },
    ]);
    expect(recipient.frames.filter((frame) => frame.type === 'message')).toEqual([]);
  });

  it.each([500, 429])('answers %i for a connection: each of the SDK\'s attempts fails, the message does not arrive, and the connection is kept', async (status) => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const sender = await connect(alice);
    const recipient = await connect(bob);
    const [record] = await registry.connectionsOf(bob);
    const faultId = await arm({ kind: 'connection', connectionId: record.connectionId, status });

    await sender.request({ action: 'sendMessage', clientMsgId: 'c-1', to: bob, text: 'to a connection that fails' });
    // The SDK retries 429 and 500 twice, as it would on AWS; then the function gives up on it. The
    // message stays unmarked, so the outbox relay tries again after its lease: at least three, then.
    await eventually(async () => (await firedOf(faultId)).length >= 3, 15_000, 'three failed attempts');
    expect((await firedOf(faultId)).every((fired) => fired.status === status && fired.connectionId === record.connectionId)).toBe(true);
    expect(await registry.connectionsOf(bob)).toHaveLength(1);
    expect(recipient.frames.filter((frame) => frame.type === 'message')).toEqual([]);
  });

  it.each([
    ['an unknown function', { kind: 'kill', function: 'NoSuchFunction', point: 'chat.committed' }, /no function is called NoSuchFunction/],
    ['a prefix that names several functions', { kind: 'kill', function: 'Presence', point: 'chat.committed' }, /names several functions/],
    ['an unknown stand-in', { kind: 'standIn', standIn: 'redis', action: 'stop' }, /standIn/],
    ['a status @connections is not made to answer', { kind: 'connection', userId: 'bob', status: 503 }, /status: must be one of 410, 429, 500/],
    ['a body that is not JSON', '{kind', /must be a fault as JSON/],
  ])('refuses %s with 400 and arms nothing', async (_what, body, message) => {
    const answer = await postFault(body);
    expect(answer).toEqual({ status: 400, body: { message: expect.stringMatching(message) } });
  });
});
