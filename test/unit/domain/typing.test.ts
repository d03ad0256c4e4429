import { signalTyping, type TypingGate, type TypingVerdict } from '../../../lambdas/domain/typing';
import { InMemoryConnections, InMemoryPurse, InMemoryThreadStore, RecordingNotifier } from '../../support/in-memory-chat';

function setup(verdict: TypingVerdict, purse = new InMemoryPurse(), peeked: TypingVerdict = verdict) {
  const threads = new InMemoryThreadStore();
  threads.addThread('g1', 'group', ['alice', 'bob']);
  const admitted: unknown[][] = [];
  const gate: TypingGate = { peek: async () => peeked, admit: async (...args) => (admitted.push(args), verdict) };
  const notifier = new RecordingNotifier();
  const connections = new InMemoryConnections([
    { userId: 'alice', connectionId: 'alice-1' },
    { userId: 'alice', connectionId: 'alice-2' },
    { userId: 'bob', connectionId: 'bob-1' },
  ]);
  const signal = () => signalTyping({ threadId: 'g1', userId: 'alice', state: 'start', now: 5000, fromConnectionId: 'alice-1', gate, threads, blocks: threads.pairs, connections, notifier, purse });
  return { admitted, notifier, signal, purse };
}

describe('signalTyping', () => {
  it("tells the other members' connections, not the typist's own, once the gate admits it", async () => {
    const { admitted, notifier, signal } = setup('admitted');
    await signal();
    expect(admitted).toEqual([['g1', 'alice', 5000]]);
    expect(notifier.posts).toEqual([{ connectionId: 'bob-1', frame: { type: 'typing', threadId: 'g1', userId: 'alice', state: 'start' } }]);
  });

  it('drops a signal over the rate silently', async () => {
    const { notifier, signal } = setup('throttled');
    await expect(signal()).resolves.toBeUndefined();
    expect(notifier.attempts).toEqual([]);
  });

  it('answers forbidden to a typist outside the thread', async () => {
    const { notifier, signal } = setup('not_member');
    await expect(signal()).rejects.toMatchObject({ code: 'forbidden' });
    expect(notifier.attempts).toEqual([]);
  });

  it('drops a signal the gate already shows over the rate without the members, the charge or the mark', async () => {
    const { admitted, notifier, signal, purse } = setup('admitted', new InMemoryPurse(), 'throttled');
    await expect(signal()).resolves.toBeUndefined();
    expect([admitted, notifier.attempts, purse.spentOn()]).toEqual([[], [], 0]);
  });

  // The mark was written before the per-member charge: a signal refused over budget still wrote it.
  it('writes no mark for a signal refused over budget', async () => {
    const { admitted, notifier, signal } = setup('admitted', new InMemoryPurse({ actions: 0 }));
    await expect(signal()).rejects.toMatchObject({ code: 'rate_limited' });
    expect(admitted).toEqual([]);
    expect(notifier.attempts).toEqual([]);
  });

  it('gives back the charge of a signal that lost the mark to a racing one, and tells nobody', async () => {
    const { admitted, notifier, signal, purse } = setup('throttled', new InMemoryPurse(), 'admitted');
    await expect(signal()).resolves.toBeUndefined();
    expect(admitted).toHaveLength(1);
    expect([notifier.attempts, purse.spentOn()]).toEqual([[], 0]);
  });
});
