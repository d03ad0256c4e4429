import fc from 'fast-check';
import { byLogicalId, connectUrl, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';
import { TestClient } from '../support/ws-client';
import type { InvocationRecord } from '../../local-cloud/services/lambda/metering';
import { reqIdSchema } from '../../protocol/fields';

jest.setTimeout(600_000);

// Its own cloud: the test reads `/dev/stats` frame by frame, which other tests' traffic would muddle.
ownCloudForThisFile();

/** Frames a run sends: enough to meet every action with each kind of damage several times. */
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 500);

/** The functions behind the WebSocket routes: each client frame invokes exactly one of them. */
const ROUTE_FUNCTIONS = ['ChatActions', 'GetMessages', 'PresenceActions', 'PushDevices', 'UnknownAction'];

/** Calls that change something somewhere. */
const WRITES = new Set([
  'DynamoDB.PutItem',
  'DynamoDB.UpdateItem',
  'DynamoDB.DeleteItem',
  'DynamoDB.BatchWriteItem',
  'DynamoDB.TransactWriteItems',
  'SQS.SendMessage',
  'SQS.SendMessageBatch',
  'SNS.Publish',
  'SNS.PublishBatch',
  'SNS.CreatePlatformEndpoint',
  'SNS.DeleteEndpoint',
  'SNS.SetEndpointAttributes',
  'ApiGatewayManagementApi.PostToConnection',
  'ApiGatewayManagementApi.DeleteConnection',
]);

const MISSING = Symbol('missing');

const oddString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '#', 'rate#x#1', '%23', '../../etc', '\u202e\u0041', '𝕏'.repeat(33), 'null', '__proto__', 'constructor', 'a'.repeat(65), 'b'.repeat(129)),
  fc.string({ minLength: 4001, maxLength: 6000 }),
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** A field's value: mostly valid, otherwise odd, of the wrong type, or missing. */
function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 1, arbitrary: oddString },
    { weight: 1, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(MISSING) },
  );
}

const userId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const users = fc.oneof({ weight: 4, arbitrary: fc.array(userId, { minLength: 1, maxLength: 8 }) }, { weight: 1, arbitrary: fc.array(userId, { minLength: 1025, maxLength: 1030 }) }, { weight: 1, arbitrary: fc.constant([]) });
const threadId = fc.string({ minLength: 1, maxLength: 128 });
const seq = fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53));

/** Each client action with its fields' valid values (protocol/client-frames.ts), every field then damaged at will. */
const actions: Record<string, Record<string, fc.Arbitrary<unknown>>> = {
  sendMessage: { clientMsgId: fc.string({ minLength: 1, maxLength: 64 }), to: userId, threadId, text: fc.string({ minLength: 1, maxLength: 300 }) },
  getMessages: { threadId, afterSeq: seq, beforeSeq: seq, limit: fc.integer({ min: -5, max: 200 }) },
  createGroup: { name: fc.string({ minLength: 1, maxLength: 100 }), members: users },
  addMembers: { threadId, userIds: users },
  removeMember: { threadId, userId },
  ack: { threadId, seq, status: fc.constantFrom('delivered', 'read') },
  // A cursor is opaque, but a client may hand back anything: also ones shaped like the server's (base64url JSON).
  listThreads: {
    cursor: fc.oneof(
      fc.string({ minLength: 1, maxLength: 512 }),
      fc.tuple(fc.oneof(fc.integer(), fc.double(), wrongType), fc.oneof(fc.string({ maxLength: 200 }), wrongType)).map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url')),
    ),
  },
  ping: {},
  typing: { threadId, state: fc.constantFrom('start', 'stop') },
  subscribePresence: { userIds: users },
  registerPush: { platform: fc.constantFrom('apns', 'fcm'), token: fc.stringMatching(/^\S{1,200}$/) },
  unregisterPush: { platform: fc.constantFrom('apns', 'fcm'), token: fc.stringMatching(/^\S{1,200}$/) },
};

const objectFrame = fc
  .tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...Object.keys(actions)) }, { weight: 1, arbitrary: field(fc.string({ minLength: 1, maxLength: 70 })) }),
    fc.oneof({ weight: 9, arbitrary: fc.constant('valid') }, { weight: 1, arbitrary: field(fc.constant('valid')) }),
    fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { freq: 4 }),
  )
  .chain(([action, reqId, extra]) => {
    const fields = typeof action === 'string' && Object.hasOwn(actions, action) ? actions[action] : {};
    return fc.record(Object.fromEntries(Object.entries(fields).map(([name, valid]) => [name, field(valid)]))).map((values) => {
      const frame: Record<string, unknown> = { ...(extra ?? {}) };
      if (action !== MISSING) frame.action = action;
      for (const [name, value] of Object.entries(values)) if (value !== MISSING) frame[name] = value;
      // 'valid' stands for a reqId the test makes unique, so the reply can be told apart.
      if (reqId !== MISSING) frame.reqId = reqId;
      return frame;
    });
  });

/** Frames that are not a JSON object at all. */
const rawFrame = fc.oneof(fc.constantFrom('', '{', 'null', '[]', '42', '"sendMessage"', '{"action":', 'undefined'), fc.string({ maxLength: 100 }), fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'));

/** Under 32 KB: a larger frame closes the connection by design (1009), which the API Gateway limits test covers. */
const fitsInAFrame = (text: string) => Buffer.byteLength(text) < 30 * 1024;

/**
 * The route invocations that began at or after `since`: the frame sent then. (The previous frame
 * was answered, so its invocation had begun; a send's may still be delivering, and is left out.)
 */
async function routeInvocationsSince(since: number): Promise<InvocationRecord[]> {
  const stats = (await (await fetch(`${localCloud().baseUrl}/dev/stats`)).json()) as { invocations: InvocationRecord[] };
  return stats.invocations.filter((invocation) => invocation.start >= since && ROUTE_FUNCTIONS.some((prefix) => invocation.logicalId.startsWith(prefix)));
}

describe('client frames, generated', () => {
  it('each gets its reply or a clear protocol error, never internal or a dropped connection, and a refused one writes nothing', async () => {
    const user = uniqueUser('fuzz');
    const client = await TestClient.connect(await connectUrl(user));
    const { dynamodb } = await standIns();
    const connectionsTable = byLogicalId(dynamodb.tables, 'Connections');
    // What a refused frame may still write: its connection's liveness (an admitted invalid one),
    // and its charge to the sender's budget (every frame pays, a refused one too: docs/protocol.md).
    const rateTables = Object.entries(dynamodb.tables)
      .filter(([logicalId]) => /^(ChatSendRecords|GatewayBudgets)/.test(logicalId))
      .map(([, name]) => name);
    const bookkeeping = (table: string) => table === connectionsTable || rateTables.includes(table);

    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 9, arbitrary: objectFrame }, { weight: 1, arbitrary: rawFrame }), async (generated) => {
        sent += 1;
        const reqId = `fuzz-${sent}`;
        const text = typeof generated === 'string' ? generated : JSON.stringify(generated.reqId === 'valid' ? { ...generated, reqId } : generated);
        fc.pre(fitsInAFrame(text));
        // A frame's reqId, when it is one the protocol accepts, comes back on the reply; otherwise the reply has none.
        const parsed: unknown = typeof generated === 'string' ? undefined : JSON.parse(text);
        const echoed = reqIdSchema.safeParse((parsed as { reqId?: unknown } | undefined)?.reqId);
        const expectedReqId = echoed.success ? echoed.data : undefined;

        await fetch(`${localCloud().baseUrl}/dev/stats/reset`, { method: 'POST' });
        const from = client.frames.length;
        const sentAt = Date.now();
        client.send(text);
        const reply = await client.waitFor(
          (frame) => client.frames.indexOf(frame) >= from && frame.reqId === expectedReqId,
          15_000,
        );
        const since = client.frames.slice(from);
        expect({ frame: text, internal: since.filter((frame) => frame.code === 'internal') }).toEqual({ frame: text, internal: [] });
        expect(client.socket.readyState).toBe(client.socket.OPEN);
        if (reply.type !== 'error') return;

        expect(['bad_request', 'forbidden', 'not_found', 'rate_limited']).toContain(reply.code);
        expect(typeof reply.message === 'string' && reply.message.length > 0).toBe(true);
        await eventually(async () => (await routeInvocationsSince(sentAt)).length >= 1, 10_000, `the invocation of ${text}`);
        const writes = (await routeInvocationsSince(sentAt))
          .flatMap((invocation) => invocation.calls)
          // A call that failed (a condition that did not hold) wrote nothing.
          .filter((call) => call.error === undefined && WRITES.has(`${call.service}.${call.operation}`))
          .filter((call) => !(call.operation === 'UpdateItem' && (call.capacity?.tables ?? []).length === 1 && bookkeeping(call.capacity!.tables[0])));
        expect({ frame: text, reply, writes }).toEqual({ frame: text, reply, writes: [] });
      }),
      { numRuns: FRAMES, endOnFailure: true },
    );

    // Still the same connection, still answering.
    expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
    await client.close();
  });
});
