import { signalTyping, type TypingGate } from '../../../lambdas/domain/typing';
import { InMemoryConnections, InMemoryPurse, InMemoryThreadStore, RecordingNotifier } from '../../support/in-memory-chat';

function setup(verdict: Awaited<ReturnType<TypingGate['admit']>>) {
  const threads = new InMemoryThreadStore();
  threads.addThread('g1', 'group', ['alice', 'bob']);
  const admitted: unknown[][] = [];
  const gate: TypingGate = { admit: async (...args) => (admitted.push(args), verdict) };
  const notifier = new RecordingNotifier();
  const connections = new InMemoryConnections([
    { userId: 'alice', connectionId: 'alice-1' },
    { userId: 'alice', connectionId: 'alice-2' },
    { userId: 'bob', connectionId: 'bob-1' },
  ]);
  const signal = () => signalTyping({ threadId: 'g1', userId: 'alice', state: 'start', now: 5000, fromConnectionId: 'alice-1', gate, threads, blocks: threads.pairs, connections, notifier, purse: new InMemoryPurse() });
  return { admitted, notifier, signal };
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
});
