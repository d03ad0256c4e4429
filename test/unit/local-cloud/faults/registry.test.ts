import { DEFAULT_RANDOM_WINDOW_MS, FaultRegistry } from '../../../../local-cloud/services/faults/registry';

const CHAT = 'ChatActionsFunction1234';
const eventOf = (userId: string) => ({ requestContext: { authorizer: { userId } } });

describe('the fault registry: kills', () => {
  it('kills once by default, lends the kill to one invocation at a time, and records it', () => {
    const registry = new FaultRegistry();
    const armed = registry.armKill({ kind: 'kill', function: 'ChatActions', point: 'chat.committed' }, CHAT);
    expect(armed).toMatchObject({ kind: 'kill', function: CHAT, point: 'chat.committed', probability: 1, timesLeft: 1 });

    expect(registry.faultsFor('OtherFunction', eventOf('alice'))).toBeUndefined();
    const first = registry.faultsFor(CHAT, eventOf('alice'))!;
    expect(first.faults).toEqual({ killAt: ['chat.committed'] });
    // Its one kill is lent to the invocation under way: a concurrent one cannot die of it too.
    expect(registry.faultsFor(CHAT, eventOf('alice'))).toBeUndefined();
    first.settle();
    // The invocation never reached the point: the kill is still armed.
    const second = registry.faultsFor(CHAT, eventOf('alice'))!;
    second.settle({ point: 'chat.committed', requestId: 'r-2' });

    expect(registry.faultsFor(CHAT, eventOf('alice'))).toBeUndefined();
    const { armed: left, fired } = registry.snapshot();
    expect(left).toEqual([]);
    expect(fired).toEqual([{ kind: 'kill', faultId: armed.id, function: CHAT, point: 'chat.committed', requestId: 'r-2', at: expect.any(String) }]);
  });

  it('kills only the named user\'s invocations when a user is given', () => {
    const registry = new FaultRegistry();
    registry.armKill({ kind: 'kill', function: CHAT, point: 'p', userId: 'alice', times: 5 }, CHAT);
    expect(registry.faultsFor(CHAT, eventOf('bob'))).toBeUndefined();
    expect(registry.faultsFor(CHAT, { Records: [] })).toBeUndefined();
    expect(registry.faultsFor(CHAT, eventOf('alice'))?.faults.killAt).toEqual(['p']);
  });

  it('picks invocations with the given probability, the same ones for the same seed, until cleared', () => {
    const picks = (seed: number) => {
      const registry = new FaultRegistry();
      registry.armKill({ kind: 'kill', function: CHAT, point: 'p', probability: 0.5, seed }, CHAT);
      return Array.from({ length: 200 }, () => {
        const injected = registry.faultsFor(CHAT, {});
        injected?.settle({ point: 'p', requestId: 'r' });
        return injected !== undefined;
      });
    };
    const picked = picks(42).filter(Boolean).length;
    expect(picked).toBeGreaterThan(70);
    expect(picked).toBeLessThan(130);
    expect(picks(42)).toEqual(picks(42));
    expect(picks(42)).not.toEqual(picks(43));
  });

  it('kills every invocation at a random moment within the window with probability 1', () => {
    const registry = new FaultRegistry();
    const armed = registry.armKill({ kind: 'kill', function: CHAT, point: 'random', seed: 1 }, CHAT);
    expect(armed).toMatchObject({ withinMs: DEFAULT_RANDOM_WINDOW_MS });
    expect(armed.timesLeft).toBeUndefined();
    const moments = Array.from({ length: 50 }, () => {
      const injected = registry.faultsFor(CHAT, {})!;
      injected.settle({ point: 'random', requestId: 'r' });
      return injected.faults.killAfterMs!;
    });
    expect(moments.every((moment) => moment >= 0 && moment < DEFAULT_RANDOM_WINDOW_MS)).toBe(true);
    expect(new Set(moments).size).toBeGreaterThan(10);
    expect(registry.snapshot().fired).toHaveLength(50);
  });

  it('disarms one fault by id, and all at once', () => {
    const registry = new FaultRegistry();
    const one = registry.armKill({ kind: 'kill', function: CHAT, point: 'a' }, CHAT);
    registry.armKill({ kind: 'kill', function: CHAT, point: 'b' }, CHAT);
    expect(registry.disarm(one.id)).toBe(true);
    expect(registry.disarm(one.id)).toBe(false);
    expect(registry.faultsFor(CHAT, {})?.faults.killAt).toEqual(['b']);
    registry.clear();
    expect(registry.faultsFor(CHAT, {})).toBeUndefined();
  });
});

describe('the fault registry: @connections failures', () => {
  it('answers a connection\'s calls of the armed method with the status, until cleared by default', () => {
    const registry = new FaultRegistry();
    const armed = registry.armConnectionFault({ kind: 'connection', connectionId: 'c1', method: 'POST', status: 500 });
    expect(registry.injectedAnswer({ connectionId: 'c2', method: 'POST' })).toBeUndefined();
    expect(registry.injectedAnswer({ connectionId: 'c1', method: 'GET' })).toBeUndefined();
    expect(registry.injectedAnswer({ connectionId: 'c1', method: 'POST' })).toBe(500);
    expect(registry.injectedAnswer({ connectionId: 'c1', method: 'POST' })).toBe(500);
    expect(registry.snapshot().fired).toEqual([
      { kind: 'connection', faultId: armed.id, connectionId: 'c1', method: 'POST', status: 500, at: expect.any(String) },
      { kind: 'connection', faultId: armed.id, connectionId: 'c1', method: 'POST', status: 500, at: expect.any(String) },
    ]);
  });

  it('answers every connection of a user, a given number of times', () => {
    const registry = new FaultRegistry();
    registry.armConnectionFault({ kind: 'connection', userId: 'bob', method: 'POST', status: 410, times: 2 });
    expect(registry.injectedAnswer({ connectionId: 'a', userId: 'alice', method: 'POST' })).toBeUndefined();
    expect(registry.injectedAnswer({ connectionId: 'b1', userId: 'bob', method: 'POST' })).toBe(410);
    expect(registry.injectedAnswer({ connectionId: 'b2', userId: 'bob', method: 'POST' })).toBe(410);
    expect(registry.injectedAnswer({ connectionId: 'b1', userId: 'bob', method: 'POST' })).toBeUndefined();
    expect(registry.snapshot().armed).toEqual([]);
  });
});
