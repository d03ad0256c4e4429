import { BadFaultRequest, parseFaultRequest, parseInitialFaults } from '../../../../local-cloud/services/faults/requests';

describe('POST /dev/faults bodies', () => {
  it('takes a kill at a fault point, a random kill, a @connections failure and a stand-in change', () => {
    expect(parseFaultRequest({ kind: 'kill', function: 'ChatActions', point: 'chat.committed' })).toEqual({ kind: 'kill', function: 'ChatActions', point: 'chat.committed' });
    expect(parseFaultRequest({ kind: 'kill', function: 'Chat', point: 'random', probability: 0.3, seed: 7, withinMs: 200, userId: 'alice' })).toMatchObject({
      point: 'random',
      probability: 0.3,
      seed: 7,
    });
    expect(parseFaultRequest({ kind: 'connection', userId: 'bob', status: 410 })).toEqual({ kind: 'connection', userId: 'bob', status: 410, method: 'POST' });
    expect(parseFaultRequest({ kind: 'connection', connectionId: 'abc=', method: 'GET', status: 500, times: 3 })).toMatchObject({ method: 'GET', times: 3 });
    expect(parseFaultRequest({ kind: 'standIn', standIn: 'cassandra', action: 'stop' })).toEqual({ kind: 'standIn', standIn: 'cassandra', action: 'stop' });
  });

  it.each([
    ['an unknown kind', { kind: 'flood' }, /kind/],
    ['a status @connections is not made to answer', { kind: 'connection', userId: 'bob', status: 404 }, /status: must be one of 410, 429, 500/],
    ['both a connection and a user', { kind: 'connection', userId: 'bob', connectionId: 'x', status: 410 }, /either connectionId or userId/],
    ['neither a connection nor a user', { kind: 'connection', status: 410 }, /either connectionId or userId/],
    ['a method the management API lacks', { kind: 'connection', userId: 'bob', status: 410, method: 'PUT' }, /method/],
    ['a probability of 0', { kind: 'kill', function: 'Chat', point: 'random', probability: 0 }, /probability/],
    ['a window for a named point', { kind: 'kill', function: 'Chat', point: 'chat.committed', withinMs: 10 }, /withinMs: is for point "random" only/],
    ['a point name with spaces', { kind: 'kill', function: 'Chat', point: 'chat committed' }, /point: must be a fault point name/],
    ['no function', { kind: 'kill', point: 'random' }, /function/],
    ['zero times', { kind: 'kill', function: 'Chat', point: 'x', times: 0 }, /times/],
    ['an unknown field', { kind: 'kill', function: 'Chat', point: 'x', when: 'now' }, /when/],
    ['an unknown stand-in', { kind: 'standIn', standIn: 'redis', action: 'stop' }, /standIn/],
    ['an unknown stand-in action', { kind: 'standIn', standIn: 'sqs', action: 'pause' }, /action/],
    ['not an object', 'kill', /./],
  ])('refuses %s, saying what is wrong', (_what, body, message) => {
    expect(() => parseFaultRequest(body)).toThrow(BadFaultRequest);
    expect(() => parseFaultRequest(body)).toThrow(message);
  });
});

describe('LOCAL_FAULTS', () => {
  it('is a JSON array of kills and @connections failures', () => {
    expect(parseInitialFaults('[{"kind":"kill","function":"Chat","point":"chat.committed","times":2},{"kind":"connection","userId":"bob","status":429}]')).toEqual([
      { kind: 'kill', function: 'Chat', point: 'chat.committed', times: 2 },
      { kind: 'connection', userId: 'bob', status: 429, method: 'POST' },
    ]);
  });

  it.each([
    ['not JSON', '[{', /not JSON/],
    ['not an array', '{"kind":"kill","function":"Chat","point":"x"}', /must be a JSON array/],
    ['a bad entry, by its index', '[{"kind":"kill","function":"Chat","point":"x"},{"kind":"connection","status":410}]', /^\[1\]: .*either connectionId or userId/],
    ['a stand-in change', '[{"kind":"standIn","standIn":"sqs","action":"stop"}]', /\[0\]: stand-ins are stopped through POST/],
  ])('refuses %s', (_what, json, message) => {
    expect(() => parseInitialFaults(json)).toThrow(message);
  });
});
