/**
 * The write units the local cloud meters for a TransactWriteItems, as AWS bills them: 2 per item
 * per started 1 KB, a ConditionCheck alike. DynamoDB Local reports 4 units per table whatever the
 * items, so without this a one-to-one send's commit was metered 8 units where AWS bills 6.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the runner's plain-JavaScript module
const { itemSize, transactWriteCapacity } = require('../../../../local-cloud/services/lambda/transaction-capacity.cjs') as {
  itemSize(item: Record<string, unknown>): number;
  transactWriteCapacity(input: unknown): { writeUnits: number; capacityUnits: number; tables: string[]; byTable: Array<{ table: string; units: number }> };
};

describe('transaction capacity', () => {
  it('sizes items as DynamoDB does: names and values, in the document client’s plain values and the wire format alike', () => {
    const item = { threadId: 'abc', seq: 12345, flag: true, tags: new Set(['x', 'yz']), nested: { a: 'b' }, list: ['cd'] };
    // 8+3, 3+4 (5 digits: 3 bytes + 1), 4+1, 4+3, 6+(3+1+1+1), 4+(3+1+2)
    const expected = 11 + 7 + 5 + 7 + 12 + 10;
    expect(itemSize(item)).toBe(expected);
    expect(itemSize(marshall(item))).toBe(expected);
    expect(itemSize({ text: 'é' })).toBe(4 + 2);
  });

  it('bills 2 units an item under 1 KB, per table, whatever DynamoDB Local reports', () => {
    const capacity = transactWriteCapacity({
      TransactItems: [
        { Update: { TableName: 'threads', Key: { threadId: 't', sk: 'head' }, UpdateExpression: 'SET lastSeq = :seq', ExpressionAttributeValues: { ':seq': 8 } } },
        { Put: { TableName: 'threads', Item: { threadId: 't', sk: 'msg#8', text: 'hello' } } },
        { Put: { TableName: 'sends', Item: { sendKey: 'alice c1', seq: 8 }, ConditionExpression: 'attribute_not_exists(sendKey)' } },
        { ConditionCheck: { TableName: 'threads', Key: { threadId: 't', sk: 'member#alice' }, ConditionExpression: 'attribute_exists(sk)' } },
      ],
    });
    expect(capacity).toEqual({
      readUnits: 0,
      writeUnits: 8,
      capacityUnits: 8,
      tables: ['threads', 'sends'],
      byTable: [
        { table: 'threads', units: 6 },
        { table: 'sends', units: 2 },
      ],
    });
  });

  it('bills each started kilobyte of a larger item twice', () => {
    const capacity = transactWriteCapacity({ TransactItems: [{ Put: { TableName: 'threads', Item: marshall({ threadId: 't', text: 'x'.repeat(1500) }) } }] });
    expect(capacity.writeUnits).toBe(4);
  });
});
