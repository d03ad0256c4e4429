import { eventFilterOf } from '../../../../local-cloud/services/lambda/event-filter';

describe('event filters of the local Lambda pollers', () => {
  const criteria = (...patterns: object[]) => ({ Filters: patterns.map((pattern) => ({ Pattern: JSON.stringify(pattern) })) });

  it('passes records whose fields take one of the listed values, at any depth', () => {
    const filter = eventFilterOf(criteria({ eventName: ['INSERT', 'REMOVE'], dynamodb: { Keys: { userId: { S: ['bob'] } } } }), 'test');
    expect(filter({ eventName: 'INSERT', dynamodb: { Keys: { userId: { S: 'bob' } } } })).toBe(true);
    expect(filter({ eventName: 'MODIFY', dynamodb: { Keys: { userId: { S: 'bob' } } } })).toBe(false);
    expect(filter({ eventName: 'REMOVE', dynamodb: { Keys: { userId: { S: 'carol' } } } })).toBe(false);
    expect(filter({ eventName: 'REMOVE' })).toBe(false);
  });

  it('passes a record that any filter matches, and every record without filters', () => {
    const filter = eventFilterOf(criteria({ eventName: ['INSERT'] }, { eventName: ['REMOVE'] }), 'test');
    expect(filter({ eventName: 'REMOVE' })).toBe(true);
    expect(filter({ eventName: 'MODIFY' })).toBe(false);
    expect(eventFilterOf(undefined, 'test')({ anything: 1 })).toBe(true);
  });

  it('passes string fields that start with a prefix rule', () => {
    const filter = eventFilterOf(criteria({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'msg#' }] } } } }), 'test');
    expect(filter({ eventName: 'INSERT', dynamodb: { Keys: { sk: { S: 'msg#000000000001' } } } })).toBe(true);
    expect(filter({ eventName: 'INSERT', dynamodb: { Keys: { sk: { S: 'member#bob' } } } })).toBe(false);
    expect(filter({ eventName: 'INSERT', dynamodb: { Keys: { sk: { N: '1' } } } })).toBe(false);
  });

  it('refuses patterns it cannot evaluate instead of passing everything', () => {
    expect(() => eventFilterOf(criteria({ eventName: [{ 'anything-but': 'MODIFY' }] }), 'mapping M')).toThrow(/mapping M: filter rule .*anything-but.* not supported locally/);
    expect(() => eventFilterOf(criteria({ eventName: 'INSERT' }), 'mapping M')).toThrow(/must be an object or an array/);
  });
});
