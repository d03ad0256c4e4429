import { BUDGETS, DEFAULT_FRAME_UNITS, type BudgetName, type BudgetStore, type BudgetVerdict } from '../../../lambdas/domain/budget';
import * as z from '../../../lambdas/domain/schema';
import { action, actionRouter } from '../../../lambdas/shared/websocket';
import { messageEvent } from '../../support/lambda-events';

/** Budgets that admit charges until `room` units are taken, then refuse with `retryAfterMs`. */
class CountingStore implements BudgetStore {
  readonly limits = BUDGETS;
  readonly charges: Array<{ userId: string; budget: BudgetName; units: number; messages?: number }> = [];
  readonly refunds: Array<{ budget: BudgetName; units: number }> = [];
  constructor(
    private room = Infinity,
    private readonly retryAfterMs = 1234,
  ) {}
  async charge(userId: string, budget: BudgetName, units: number, _now: number, messages = 0): Promise<BudgetVerdict> {
    if (units > this.room) return { admitted: false, retryAfterMs: this.retryAfterMs, exceeded: 'units' };
    this.room -= units;
    this.charges.push({ userId, budget, units, ...(messages > 0 ? { messages } : {}) });
    return { admitted: true };
  }
  async refund(_userId: string, budget: BudgetName, units: number): Promise<void> {
    this.refunds.push({ budget, units });
  }
}

const echoFrame = z.object({ action: z.literal('echo'), reqId: z.optional(z.string()), words: z.array(z.string()) });
const plainFrame = z.object({ action: z.literal('plain'), reqId: z.optional(z.string()) });

const sendFrame = z.object({ action: z.literal('send'), reqId: z.optional(z.string()) });

function routerWith(store: BudgetStore) {
  const ran: string[] = [];
  const refreshed: string[] = [];
  const route = actionRouter(
    {
      echo: action(
        echoFrame,
        async (frame, _caller, purse) => {
          await purse.spend(10 * frame.words.length);
          ran.push('echo');
          return { type: 'echoed' };
        },
        (frame) => 2 + frame.words.length,
      ),
      plain: action(plainFrame, async () => {
        ran.push('plain');
        return { type: 'done' };
      }),
      send: action(
        sendFrame,
        async () => {
          ran.push('send');
          return { type: 'sent' };
        },
        7,
        'acks',
      ),
    },
    { budget: store, onActivity: async (caller) => void refreshed.push(caller.connectionId) },
  );
  const send = async (frame: unknown, userId = 'alice') => JSON.parse((await route(messageEvent(typeof frame === 'string' ? frame : JSON.stringify(frame), userId) as never)).body);
  return { ran, refreshed, send };
}

describe('the action router charges every frame to its user', () => {
  it("charges an action's own units before it runs, and what it spends after its reads", async () => {
    const store = new CountingStore();
    const { ran, send } = routerWith(store);
    expect(await send({ action: 'echo', reqId: 'r1', words: ['a', 'b', 'c'] })).toEqual({ type: 'echoed', reqId: 'r1' });
    expect(store.charges).toEqual([
      { userId: 'alice', budget: 'actions', units: 5 },
      { userId: 'alice', budget: 'actions', units: 30 },
    ]);
    expect(ran).toEqual(['echo']);
  });

  it('charges an action declared without units the default', async () => {
    const store = new CountingStore();
    const { send } = routerWith(store);
    await send({ action: 'plain' });
    expect(store.charges).toEqual([{ userId: 'alice', budget: 'actions', units: DEFAULT_FRAME_UNITS }]);
  });

  it.each([
    ['an unknown action', { action: 'fly', reqId: 'r2' }],
    ['a frame that is not JSON', 'nonsense'],
    ['a frame its schema refuses', { action: 'echo', reqId: 'r2', words: 'no' }],
  ])('charges %s the default, and answers bad_request', async (_case, frame) => {
    const store = new CountingStore();
    const { ran, send } = routerWith(store);
    expect(await send(frame)).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(store.charges).toEqual([{ userId: 'alice', budget: 'actions', units: DEFAULT_FRAME_UNITS }]);
    expect(ran).toEqual([]);
  });

  it('answers rate_limited with retryAfterMs, and runs nothing, when the budget has no room for the frame', async () => {
    const { ran, send } = routerWith(new CountingStore(4, 250));
    expect(await send({ action: 'echo', reqId: 'r3', words: ['a', 'b', 'c'] })).toEqual({
      type: 'error',
      reqId: 'r3',
      code: 'rate_limited',
      message: expect.stringMatching(/retryAfterMs/),
      retryAfterMs: 250,
    });
    expect(ran).toEqual([]);
  });

  it('answers rate_limited when what the action spends after its reads does not fit, before it goes on', async () => {
    const { ran, send } = routerWith(new CountingStore(10));
    expect(await send({ action: 'echo', words: ['a', 'b'] })).toMatchObject({ type: 'error', code: 'rate_limited', retryAfterMs: 1234 });
    expect(ran).toEqual([]);
  });

  it('answers bad_request, without asking the store, for a frame larger than the whole burst', async () => {
    const store = new CountingStore();
    const { send } = routerWith(store);
    const words = Array.from({ length: BUDGETS.actions.burst }, (_, index) => `w${index}`);
    expect(await send({ action: 'echo', words })).toMatchObject({ type: 'error', code: 'bad_request', message: expect.stringMatching(/larger than anyone may do at once/) });
    expect(store.charges).toEqual([]);
  });

  it('charges an action the budget it names', async () => {
    const store = new CountingStore();
    const { send } = routerWith(store);
    expect(await send({ action: 'send' })).toEqual({ type: 'sent' });
    expect(store.charges).toEqual([{ userId: 'alice', budget: 'acks', units: 7 }]);
  });

  // The liveness refresh (a write) started before the charge, so a frame refused over budget still wrote.
  it('refreshes the connection for an admitted frame only: a refused one writes nothing', async () => {
    const { refreshed, send } = routerWith(new CountingStore(DEFAULT_FRAME_UNITS));
    expect(await send({ action: 'echo', words: ['a', 'b', 'c', 'd'] })).toMatchObject({ code: 'rate_limited' });
    expect(refreshed).toEqual([]);
    expect(await send({ action: 'plain' })).toEqual({ type: 'done' });
    expect(refreshed).toHaveLength(1);
  });

  it("keeps users' budgets apart", async () => {
    const store = new CountingStore();
    const { send } = routerWith(store);
    await send({ action: 'plain' }, 'alice');
    await send({ action: 'plain' }, 'bob');
    expect(store.charges.map((charge) => charge.userId)).toEqual(['alice', 'bob']);
  });
});

describe('the action router tells onRefused of every frame refused over budget', () => {
  it('calls it with the caller for a refusal, before the reply, and not for an admitted frame; its failure only logs', async () => {
    const refused: string[] = [];
    const route = (room: number, onRefused: (caller: { userId: string; connectionId: string }) => Promise<void>) =>
      actionRouter({ plain: action(plainFrame, async () => ({ type: 'done' })) }, { budget: new CountingStore(room), onRefused });
    const body = async (handler: ReturnType<typeof route>) => JSON.parse((await handler(messageEvent(JSON.stringify({ action: 'plain', reqId: 'r1' }), 'mallory') as never)).body);

    expect(await body(route(Infinity, async ({ userId }) => void refused.push(userId)))).toEqual({ type: 'done', reqId: 'r1' });
    expect(refused).toEqual([]);
    expect(await body(route(0, async ({ userId, connectionId }) => void refused.push(`${userId} ${connectionId}`)))).toMatchObject({ code: 'rate_limited', reqId: 'r1' });
    expect(refused).toEqual(['mallory conn-1=']);
    expect(await body(route(0, async () => Promise.reject(new Error('gone'))))).toMatchObject({ code: 'rate_limited', reqId: 'r1' });
  });
});
