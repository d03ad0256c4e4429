import fc from 'fast-check';
import { sendKeyOf } from '../../../lambdas/adapters/dynamodb-thread-store';

describe('send record keys', () => {
  it('keep the key records already have for ids without % or #', () => {
    expect(sendKeyOf('alice', 'c1')).toBe('alice#c1');
    expect(sendKeyOf('alice', 'x#y%z')).toBe('alice#x#y%z');
  });

  it('never give two (sender, clientMsgId) pairs one key, whatever the ids contain', () => {
    // A user id that ends in `#b` and a clientMsgId that starts with `b#`, and the like.
    expect(sendKeyOf('a#b', 'c')).not.toBe(sendKeyOf('a', 'b#c'));
    expect(sendKeyOf('a%23b', 'c')).not.toBe(sendKeyOf('a#b', 'c'));
    const ids = fc.string({ unit: fc.constantFrom('a', '#', '%', '2', '3', '5') });
    fc.assert(
      fc.property(ids, ids, ids, ids, (sender1, msg1, sender2, msg2) => {
        fc.pre(sender1 !== sender2 || msg1 !== msg2);
        expect(sendKeyOf(sender1, msg1)).not.toBe(sendKeyOf(sender2, msg2));
      }),
      { numRuns: 2000 },
    );
  });
});
