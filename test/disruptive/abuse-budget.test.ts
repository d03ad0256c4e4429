import { BUDGETS } from '../../lambdas/domain/budget';
import { clientsClosedAfterEach, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';

jest.setTimeout(300_000);

// A cloud of its own: the point is what one user's flood does to another user of the same cloud,
// and the flood would slow every test sharing it. Its users may create the deployment's number of
// groups an hour, not the local cloud's higher default.
ownCloudForThisFile({ LOCAL_GROUPS_CREATED_PER_HOUR: String(BUDGETS.groupsCreated.burst) });

type Frame = Record<string, unknown>;
const connect = clientsClosedAfterEach();

/** The longest a refusal here can ask to wait: one group's refill of the groups an hour. */
const LONGEST_WAIT_MS = 1000 / BUDGETS.groupsCreated.perSecond;

function expectRefusedWithWait(reply: Frame): void {
  expect(reply).toMatchObject({ type: 'error', code: 'rate_limited', retryAfterMs: expect.any(Number) });
  expect(Number(reply.retryAfterMs)).toBeGreaterThan(0);
  expect(Number(reply.retryAfterMs)).toBeLessThanOrEqual(LONGEST_WAIT_MS);
}

describe("one user's flood beside another user", () => {
  /** Each send of the normal user acks within this, however the flooder floods. */
  const ACK_BOUND_MS = 15_000;

  it("keeps the normal user's 1:1 sends acking within the bound while the flooder's frames are refused with retryAfterMs", async () => {
    const [flooder, alice, bob] = ['flooder', 'alice', 'bob'].map(uniqueUser);
    const run = Math.random().toString(36).slice(2, 8);
    const [flooding, sender] = await Promise.all([connect(flooder), connect(alice), connect(bob)]);
    // The normal conversation exists before the flood.
    expect(await sender.request({ action: 'sendMessage', clientMsgId: 'warm', to: bob, text: 'hi' }, 60_000)).toMatchObject({ type: 'ack' });

    // 60 groups of 20 at once, on the function that also serves the normal user's sends: 1,200
    // members to write and tell, were each taken. (The local cloud runs at most 8 environments of a
    // function and queues the rest, as AWS does not, so a larger flood here measures the queue.)
    const flood = Promise.all(
      Array.from({ length: 60 }, (_, f) =>
        flooding.request({ action: 'createGroup', name: `Flood ${f}`, members: Array.from({ length: 19 }, (_, i) => `x${f}m${i}-${run}`) }, 240_000),
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
