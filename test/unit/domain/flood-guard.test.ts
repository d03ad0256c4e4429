import { FLOOD_COOL_OFF_MS, FLOOD_LIMIT, FloodGuard } from '../../../lambdas/domain/flood-guard';
import type { BudgetDrain, BudgetName } from '../../../lambdas/domain/budget';
import { RecordingNotifier } from '../../support/in-memory-chat';

const NOW = 1_764_000_000_000;

/** A notifier that also closes, recording every post and close in order. */
class ClosingNotifier extends RecordingNotifier {
  readonly events: string[] = [];
  async post(connectionId: string, frame: object): Promise<'delivered' | 'gone'> {
    this.events.push(`post ${connectionId}`);
    return super.post(connectionId, frame);
  }
  async close(connectionId: string): Promise<void> {
    this.events.push(`close ${connectionId}`);
  }
}

class RecordingDrain implements BudgetDrain {
  readonly drains: Array<{ userId: string; budget: BudgetName; forMs: number }> = [];
  async drain(userId: string, budget: BudgetName, forMs: number): Promise<void> {
    this.drains.push({ userId, budget, forMs });
  }
}

function guardAt(clock: { now: number }) {
  const notifier = new ClosingNotifier();
  const budget = new RecordingDrain();
  return { notifier, budget, guard: new FloodGuard({ notifier, budget, clock: () => clock.now }) };
}

describe('FloodGuard', () => {
  it('leaves a client that meets a few refusals alone', async () => {
    const clock = { now: NOW };
    const { guard, notifier, budget } = guardAt(clock);
    for (let i = 0; i < FLOOD_LIMIT.refusals - 1; i++) await guard.noteRefusal({ userId: 'alice', connectionId: 'a1' });
    expect(notifier.events).toEqual([]);
    expect(budget.drains).toEqual([]);
  });

  it('closes a connection whose user keeps sending over budget: a last rate_limited frame, the close, and the budget emptied for the cool-off', async () => {
    const clock = { now: NOW };
    const { guard, notifier, budget } = guardAt(clock);
    for (let i = 0; i < FLOOD_LIMIT.refusals; i++) await guard.noteRefusal({ userId: 'mallory', connectionId: 'm1' });
    expect(notifier.events).toEqual(['post m1', 'close m1']);
    expect(notifier.posts[0].frame).toMatchObject({ type: 'error', code: 'rate_limited', retryAfterMs: FLOOD_COOL_OFF_MS });
    expect(budget.drains).toEqual([{ userId: 'mallory', budget: 'actions', forMs: FLOOD_COOL_OFF_MS }]);
    // Frames still in flight on the closed connection close nothing twice.
    await guard.noteRefusal({ userId: 'mallory', connectionId: 'm1' });
    expect(notifier.events).toEqual(['post m1', 'close m1']);
    // The same user's other connection is closed on its first refusal: the user is flooding.
    await guard.noteRefusal({ userId: 'mallory', connectionId: 'm2' });
    expect(notifier.events).toEqual(['post m1', 'close m1', 'post m2', 'close m2']);
  });

  it('counts refusals per user, and only within the window', async () => {
    const clock = { now: NOW };
    const { guard, notifier } = guardAt(clock);
    for (let i = 0; i < FLOOD_LIMIT.refusals - 1; i++) {
      await guard.noteRefusal({ userId: 'alice', connectionId: 'a1' });
      await guard.noteRefusal({ userId: 'bob', connectionId: 'b1' });
    }
    clock.now += FLOOD_LIMIT.windowMs;
    await guard.noteRefusal({ userId: 'alice', connectionId: 'a1' });
    expect(notifier.events).toEqual([]);
  });
});
