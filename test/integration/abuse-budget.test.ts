import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BUDGETS, MAX_CONNECTIONS_PER_USER } from '../../lambdas/domain/budget';
import { keepBudgetSpent } from '../support/budgets';
import { byLogicalId, clientsClosedAfterEach, connectionRegistry, connectUrl, eventually, standIns, uniqueUser } from '../support/local-cloud-env';
import { handshakeStatus } from '../support/ws-client';

jest.setTimeout(180_000);

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();

/** The operator's view of the template's tables in DynamoDB Local. */
async function operator() {
  const { dynamodb } = await standIns();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const table = (prefix: string) => byLogicalId(dynamodb.tables, prefix);
  return {
    async item(tablePrefix: string, key: Record<string, unknown>) {
      return (await client.send(new GetCommand({ TableName: table(tablePrefix), Key: key, ConsistentRead: true }))).Item;
    },
    async threadsOf(userId: string): Promise<string[]> {
      const { Items = [] } = await client.send(
        new QueryCommand({ TableName: table('ChatUserThreads'), KeyConditionExpression: 'userId = :userId', ExpressionAttributeValues: { ':userId': userId }, ConsistentRead: true }),
      );
      return Items.map((item) => String(item.threadId));
    },
    close: () => client.destroy(),
  };
}

function expectRateLimited(reply: Frame, longestWaitMs: number): void {
  expect(reply).toMatchObject({ type: 'error', code: 'rate_limited', retryAfterMs: expect.any(Number) });
  expect(Number(reply.retryAfterMs)).toBeGreaterThan(0);
  expect(Number(reply.retryAfterMs)).toBeLessThanOrEqual(longestWaitMs);
}

describe('a spent budget, over real sockets', () => {
  it('refuses every action with rate_limited and retryAfterMs, and writes nothing', async () => {
    const [owner, spender, watcher] = ['owner', 'spender', 'watcher'].map(uniqueUser);
    const ownerClient = await connect(owner);
    const created = await ownerClient.request({ action: 'createGroup', name: 'Crowd', members: [spender, watcher] }, 60_000);
    const threadId = String(created.threadId);
    expect(await ownerClient.request({ action: 'sendMessage', clientMsgId: 'hello', threadId, text: 'hello' }, 60_000)).toMatchObject({ type: 'ack', seq: 1 });
    const [client, watching] = [await connect(spender), await connect(watcher)];
    const db = await operator();
    try {
      const spentForMs = 120_000;
      // Sends and acks are paid from budgets of their own.
      const budgets = ['actions', 'sends', 'acks'] as const;
      for (const budget of budgets) await keepBudgetSpent(spender, spentForMs, budget);
      const longestWaitMs = Math.max(...budgets.map((budget) => (BUDGETS[budget].burst * 1000) / BUDGETS[budget].perSecond)) + spentForMs;
      const frames: Frame[] = [
        { action: 'typing', threadId, state: 'start' },
        { action: 'ack', threadId, seq: 1, status: 'read' },
        { action: 'sendMessage', clientMsgId: 'over', threadId, text: 'too much' },
        { action: 'subscribePresence', userIds: [watcher] },
        { action: 'createGroup', name: 'Another', members: [watcher] },
        { action: 'addMembers', threadId, userIds: [uniqueUser('newcomer')] },
        { action: 'listThreads' },
        { action: 'getMessages', threadId },
        { action: 'ping' },
        { action: 'no-such-action' },
      ];
      for (const frame of frames) expectRateLimited(await client.request(frame, 60_000), longestWaitMs);

      // Nothing was written: no receipt, no message, no subscription, no group, and no member was told anything.
      expect(await db.item('ChatUserThreads', { userId: spender, threadId })).not.toMatchObject({ readSeq: 1 });
      expect(await db.item('ChatThreads', { threadId, sk: 'meta' })).toMatchObject({ lastSeq: 1 });
      expect(await db.threadsOf(spender)).toEqual([threadId]);
      const registry = await connectionRegistry();
      const [{ connectionId }] = await registry.connectionsOf(spender);
      registry.close();
      expect(await db.item('PresenceSubscriptions', { watchedUserId: watcher, connectionId })).toBeUndefined();
      expect(watching.frames.filter((frame) => ['typing', 'receipt', 'message', 'thread'].includes(String(frame.type)))).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe('acks of a busy large group, over real sockets', () => {
  // Acks were paid from the budget that sends pay from, at 2 units for each member told: a member
  // who acked each message of a 250-member group (503 units an ack) as they read it emptied that
  // budget, and their next few 1:1 messages, well within the contract's 20 a second, were refused.
  it('leave the reader every 1:1 send the contract allows, while the other members still get the receipts', async () => {
    const [host, reader, friend] = ['host', 'reader', 'friend'].map(uniqueUser);
    const run = Math.random().toString(36).slice(2, 8);
    const crowd = Array.from({ length: 247 }, (_, i) => `c${i}-${run}`);
    const [hostClient, readerClient] = [await connect(host), await connect(reader)];
    const created = await hostClient.request({ action: 'createGroup', name: 'Busy', members: [reader, friend, ...crowd] }, 120_000);
    const threadId = String(created.threadId);
    const groupMessages = 3;
    for (let seq = 1; seq <= groupMessages; seq++) {
      expect(await hostClient.request({ action: 'sendMessage', clientMsgId: `g${seq}`, threadId, text: `news ${seq}` }, 120_000)).toMatchObject({ type: 'ack', seq });
    }

    // The reader acks each message delivered, then read, one after another as they read (sent at
    // once, a later receipt could overtake an earlier one, which then moves nothing): the contract's
    // receipts reach the other members.
    const receipts = Array.from({ length: groupMessages }, (_, i) => [
      { seq: i + 1, status: 'delivered' },
      { seq: i + 1, status: 'read' },
    ]).flat();
    for (const [i, receipt] of receipts.entries()) {
      readerClient.send({ action: 'ack', reqId: `ack-${i}`, threadId, ...receipt });
      await hostClient.waitFor((frame) => frame.type === 'receipt' && frame.userId === reader && frame.seq === receipt.seq && frame.status === receipt.status, 60_000);
    }

    // A reader of a busy group acks far more than that. A minute of it spends whatever acks are
    // paid from; and browsing (listThreads, getMessages) spends the budget of every other action.
    // Written as the operator, so that the state does not depend on this machine's speed.
    const budgetsSpentByReading = ['actions', 'acks'] as const;
    for (const budget of budgetsSpentByReading) await keepBudgetSpent(reader, 60_000, budget);
    expectRateLimited(await readerClient.request({ action: 'ack', threadId, seq: groupMessages, status: 'read' }, 60_000), 200_000);

    // Then ten 1:1 messages at once, half a second's worth of the contract's 20 a second.
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => readerClient.request({ action: 'sendMessage', clientMsgId: `s${i}`, to: friend, text: `hi ${i}` }, 120_000)),
    );
    expect(replies.filter((reply) => reply.type !== 'ack')).toEqual([]);
    expect(replies.map((reply) => Number(reply.seq)).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });
});

describe('the groups-an-hour cap, over real sockets', () => {
  it(`creates ${BUDGETS.groupsCreated.burst} groups of a flood of createGroup and refuses the rest with rate_limited and retryAfterMs, writing none of them`, async () => {
    const flooder = uniqueUser('flooder');
    const client = await connect(flooder);
    const floodSize = BUDGETS.groupsCreated.burst + 5;
    const replies = await Promise.all(
      Array.from({ length: floodSize }, (_, i) => client.request({ action: 'createGroup', name: `Flood ${i}`, members: [`${flooder}-m${i}`] }, 120_000)),
    );
    const created = replies.filter((reply) => reply.type === 'thread');
    const refused = replies.filter((reply) => reply.type !== 'thread');
    expect(created).toHaveLength(BUDGETS.groupsCreated.burst);
    // One group's refill: the next one fits after at most that.
    for (const reply of refused) expectRateLimited(reply, 3600_000 / BUDGETS.groupsCreated.burst);
    const db = await operator();
    try {
      expect((await db.threadsOf(flooder)).sort()).toEqual(created.map((reply) => String(reply.threadId)).sort());
    } finally {
      db.close();
    }
  });
});

describe('the 1023-member createGroup flood, over real sockets', () => {
  it('is refused with rate_limited and retryAfterMs once the members-a-minute budget is spent, and writes none of its groups', async () => {
    const flooder = uniqueUser('flooder');
    const client = await connect(flooder);
    const spentForMs = 60_000;
    // As two full groups created this minute would have left it.
    await keepBudgetSpent(flooder, spentForMs, 'membersAdded');
    const run = Math.random().toString(36).slice(2, 8);
    // Short ids, so that 1023 of them fit in one 32 KB frame: about 7 KB each.
    const frames = Array.from({ length: 5 }, (_, f) => Array.from({ length: 1023 }, (_, i) => `v${f}m${i}-${run}`));
    const replies = await Promise.all(frames.map((members, f) => client.request({ action: 'createGroup', name: `Flood ${f}`, members }, 120_000)));

    const longestWaitMs = (BUDGETS.membersAdded.burst * 1000) / BUDGETS.membersAdded.perSecond + spentForMs;
    for (const reply of replies) expectRateLimited(reply, longestWaitMs);
    const db = await operator();
    try {
      expect(await db.threadsOf(flooder)).toEqual([]);
      for (const members of frames) expect(await db.threadsOf(members[0])).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe('connections per user', () => {
  it(`lets a user hold ${MAX_CONNECTIONS_PER_USER} connections and refuses one more with 429, until one closes`, async () => {
    const user = uniqueUser('hoarder');
    const clients = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_USER; i++) clients.push(await connect(user, `d${i}`));
    expect(await handshakeStatus(await connectUrl(user))).toBe(429);

    const registry = await connectionRegistry();
    try {
      await clients[0].close();
      await eventually(async () => (await registry.connectionsOf(user)).length < MAX_CONNECTIONS_PER_USER, 30_000, 'the closed connection to be forgotten');
    } finally {
      registry.close();
    }
    const again = await connect(user);
    expect(await again.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
  });
});
