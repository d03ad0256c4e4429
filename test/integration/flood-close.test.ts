import WebSocket from 'ws';
import { BUDGETS } from '../../lambdas/domain/budget';
import { FLOOD_COOL_OFF_MS } from '../../lambdas/domain/flood-guard';
import { budgetDueAt, keepBudgetSpent } from '../support/budgets';
import { clientsClosedAfterEach, connectUrl, uniqueUser } from '../support/local-cloud-env';
import { handshakeStatus } from '../support/ws-client';

jest.setTimeout(180_000);

const connect = clientsClosedAfterEach();

/** How long a flood may take to be closed here: the local cloud spreads it over several environments, each counting on its own. */
const CLOSE_DEADLINE_MS = 60_000;
/** The flood's pace: this many frames every interval. */
const FLOOD_BATCH = 10;
const FLOOD_BATCH_INTERVAL_MS = 50;

describe('a client that keeps sending over its budget, over real sockets', () => {
  it('is sent a last rate_limited frame and closed, its budget emptied for the cool-off, while another user’s sends keep acking', async () => {
    const [flooder, alice, bob] = ['flooder', 'alice', 'bob'].map(uniqueUser);
    const [flooding, sender, receiver] = await Promise.all([connect(flooder), connect(alice), connect(bob)]);
    expect(await sender.request({ action: 'sendMessage', clientMsgId: 'before', to: bob, text: 'before' }, 60_000)).toMatchObject({ type: 'ack' });

    // Spent only briefly: the cool-off found after the close is the flood guard's drain, not this.
    const floodStartedAt = Date.now();
    await keepBudgetSpent(flooder, 2_000);
    let closed = false;
    void flooding.closed.then(() => (closed = true));
    // About 200 frames a second, whatever the replies say, until the server closes the socket: far
    // past any budget, and still within what this machine's stand-ins serve beside the other user
    // (as fast as the socket takes them, DynamoDB Local timed the other user's send out).
    const flood = (async () => {
      for (let round = 0; !closed && Date.now() - floodStartedAt < CLOSE_DEADLINE_MS; round++) {
        for (let i = 0; i < FLOOD_BATCH && flooding.socket.readyState === WebSocket.OPEN; i++) flooding.send({ action: 'ping', reqId: `f${round}-${i}` });
        await new Promise((resolve) => setTimeout(resolve, FLOOD_BATCH_INTERVAL_MS));
      }
    })();

    // Beside the flood, the normal user's messages keep going through.
    for (let i = 0; i < 3; i++) {
      expect([await sender.request({ action: 'sendMessage', clientMsgId: `during-${i}`, to: bob, text: `during ${i}` }, 60_000)]).toEqual([expect.objectContaining({ type: 'ack' })]);
    }
    await flood;
    expect(closed).toBe(true);
    await flooding.closed;

    const last = flooding.frames.find((frame) => frame.type === 'error' && frame.reqId === undefined);
    expect(last).toMatchObject({ code: 'rate_limited', retryAfterMs: FLOOD_COOL_OFF_MS, message: expect.stringContaining('closed') });

    // Emptied for the cool-off (beyond the 2 s it was spent for), so a reconnect now is refused.
    const burstRefillMs = (BUDGETS.actions.burst * 1000) / BUDGETS.actions.perSecond;
    expect(await budgetDueAt(flooder)).toBeGreaterThanOrEqual(floodStartedAt + burstRefillMs + FLOOD_COOL_OFF_MS);
    expect(await handshakeStatus(await connectUrl(flooder))).toBe(429);

    expect(await sender.request({ action: 'sendMessage', clientMsgId: 'after', to: bob, text: 'after' }, 60_000)).toMatchObject({ type: 'ack' });
    await receiver.waitFor((frame) => frame.type === 'message' && frame.text === 'after', 30_000);
  });
});
