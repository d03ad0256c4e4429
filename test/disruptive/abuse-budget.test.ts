import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BUDGETS } from '../../lambdas/domain/budget';
import { byLogicalId, clientsClosedAfterEach, standIns, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';

jest.setTimeout(300_000);

// A cloud of its own: floods of 1024-member groups keep a local cloud busy for long enough to
// slow every test sharing it past its deadlines, and the point here is what one user's flood does
// to another user of the same cloud.
ownCloudForThisFile();

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();

/** The longest a refusal here can ask to wait: one group's refill of the groups an hour. */
const LONGEST_WAIT_MS = 1000 / BUDGETS.groupsCreated.perSecond;

function expectRefusedWithWait(reply: Frame): void {
  expect(reply).toMatchObject({ type: 'error', code: 'rate_limited', retryAfterMs: expect.any(Number) });
  expect(Number(reply.retryAfterMs)).toBeGreaterThan(0);
  expect(Number(reply.retryAfterMs)).toBeLessThanOrEqual(LONGEST_WAIT_MS);
}

/** The ids of a user's threads, read from their thread list by the operator. */
async function threadsOf(userId: string): Promise<string[]> {
  const { dynamodb } = await standIns();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  try {
    const { Items = [] } = await client.send(
      new QueryCommand({ TableName: byLogicalId(dynamodb.tables, 'ChatUserThreads'), KeyConditionExpression: 'userId = :userId', ExpressionAttributeValues: { ':userId': userId }, ConsistentRead: true }),
    );
    return Items.map((item) => String(item.threadId));
  } finally {
    client.destroy();
  }
}

describe('the 1023-member createGroup flood', () => {
  it('creates the first two groups (2,046 members, of 2,048 a minute) and refuses the rest with rate_limited and retryAfterMs, writing none of them', async () => {
    const flooder = uniqueUser('flooder');
    const client = await connect(flooder);
    const run = Math.random().toString(36).slice(2, 8);
    // Short ids, so that 1023 of them fit in one 32 KB frame: about 7 KB each.
    const frames = Array.from({ length: 5 }, (_, f) => Array.from({ length: 1023 }, (_, i) => `v${f}m${i}-${run}`));

    const replies = await Promise.all(frames.map((members, f) => client.request({ action: 'createGroup', name: `Flood ${f}`, members }, 240_000)));

    const created = replies.filter((reply) => reply.type === 'thread');
    expect(created).toHaveLength(2);
    for (const reply of replies.filter((reply) => reply.type !== 'thread')) expectRefusedWithWait(reply);
    // Only the groups created are in anyone's thread list: the creator's, and their members'.
    expect((await threadsOf(flooder)).sort()).toEqual(created.map((reply) => reply.threadId).sort());
    const createdFrame = frames[replies.indexOf(created[0])];
    const refusedFrame = frames[replies.findIndex((reply) => reply.type !== 'thread')];
    expect(await threadsOf(createdFrame[0])).toEqual([created[0].threadId]);
    expect(await threadsOf(refusedFrame[0])).toEqual([]);
  });
});

describe("one user's flood beside another user", () => {
  /** Each send of the normal user acks within this, however the flooder floods. */
  const ACK_BOUND_MS = 15_000;

  it("keeps the normal user's 1:1 sends acking within the bound while the flooder's frames are refused with retryAfterMs", async () => {
    const [flooder, alice, bob] = ['flooder', 'alice', 'bob'].map(uniqueUser);
    const run = Math.random().toString(36).slice(2, 8);
    const [flooding, sender] = await Promise.all([connect(flooder), connect(alice), connect(bob)]);
    // The normal conversation exists before the flood.
    expect(await sender.request({ action: 'sendMessage', clientMsgId: 'warm', to: bob, text: 'hi' }, 60_000)).toMatchObject({ type: 'ack' });

    // 200 groups of 50 at once, on the function that also serves the normal user's sends: 10,000
    // members to write and tell, were each taken.
    const flood = Promise.all(
      Array.from({ length: 200 }, (_, f) =>
        flooding.request({ action: 'createGroup', name: `Flood ${f}`, members: Array.from({ length: 49 }, (_, i) => `x${f}m${i}-${run}`) }, 240_000),
      ),
    );
    const ackTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const startedAt = Date.now();
      const ack = await sender.request({ action: 'sendMessage', clientMsgId: `n${i}`, to: bob, text: `normal ${i}` }, 60_000);
      ackTimes.push(Date.now() - startedAt);
      expect(ack).toMatchObject({ type: 'ack' });
    }
    const floodReplies = await flood;

    expect(Math.max(...ackTimes)).toBeLessThanOrEqual(ACK_BOUND_MS);
    const refused = floodReplies.filter((reply) => reply.type === 'error');
    for (const reply of refused) expectRefusedWithWait(reply);
    // Only the groups an hour allows were taken.
    expect(floodReplies.length - refused.length).toBeLessThanOrEqual(BUDGETS.groupsCreated.burst);
  });
});
