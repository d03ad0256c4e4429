'use strict';
/*
 * The write units AWS bills a TransactWriteItems, which the runner meters in place of DynamoDB
 * Local's report: DynamoDB Local reports 4 units per table a transaction touches, whatever its
 * items (one small Put and two alike: 4), where AWS bills "two underlying writes of every item in
 * the transaction", 2 units per item per started 1 KB, a ConditionCheck alike (the DynamoDB
 * developer guide, "Capacity management for transactions" and "DynamoDB item sizes and formats").
 *
 * A Put is sized by its item. An Update, Delete or ConditionCheck is sized by what the request
 * carries (its key, and an Update's values), which is at most the item's size: AWS sizes them by
 * the item as stored, so an item larger in the table than in the request bills more on AWS than
 * is metered here. The stack's transacted items other than Puts are under 1 KB.
 *
 * Plain JavaScript, as the runner that requires it.
 */

const ATTRIBUTE_VALUE_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);

/** Whether `value` is in the wire format ({ S: "..." }), as the low-level client sends it, rather than a plain value. */
function isAttributeValue(value) {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Set || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ATTRIBUTE_VALUE_TYPES.has(keys[0]);
}

const utf8 = (text) => Buffer.byteLength(String(text), 'utf8');

/** A number's size: about one byte per two significant digits, plus one. */
function numberSize(number) {
  const digits = String(number).replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** A value's size, in the wire format or plain (the document client's). */
function valueSize(value) {
  if (isAttributeValue(value)) {
    const [type, inner] = Object.entries(value)[0];
    switch (type) {
      case 'S':
        return utf8(inner);
      case 'N':
        return numberSize(inner);
      case 'B':
        return inner.length ?? utf8(inner);
      case 'BOOL':
      case 'NULL':
        return 1;
      case 'SS':
        return inner.reduce((sum, element) => sum + utf8(element), 0);
      case 'NS':
        return inner.reduce((sum, element) => sum + numberSize(element), 0);
      case 'BS':
        return inner.reduce((sum, element) => sum + (element.length ?? 0), 0);
      case 'L':
        return 3 + inner.reduce((sum, element) => sum + 1 + valueSize(element), 0);
      default:
        return 3 + mapSize(inner, 1);
    }
  }
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(value);
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return [...value].reduce((sum, element) => sum + valueSize(element), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  // The document client's NumberValue, for numbers past JavaScript's precision.
  if (value.constructor && value.constructor.name === 'NumberValue') return numberSize(value.value);
  return 3 + mapSize(value, 1);
}

/** A map's size: each attribute's name and value, and `overheadEach` bytes per element (a nested map's). */
function mapSize(attributes, overheadEach = 0) {
  return Object.entries(attributes || {}).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value) + overheadEach, 0);
}

/** An item's size in bytes, as DynamoDB counts it: its attributes' names and values. */
function itemSize(item) {
  return mapSize(item);
}

/** The bytes a transaction's action carries: a Put's item; an Update's key and values; otherwise its key. */
function actionSize(action) {
  if (action.Item) return itemSize(action.Item);
  return itemSize(action.Key) + Object.values(action.ExpressionAttributeValues || {}).reduce((sum, value) => sum + valueSize(value), 0);
}

/** The capacity of a successful TransactWriteItems, in the shape the runner meters DynamoDB's reports in. */
function transactWriteCapacity(input) {
  const byTable = new Map();
  for (const transactItem of (input && input.TransactItems) || []) {
    for (const action of Object.values(transactItem)) {
      if (!action || typeof action.TableName !== 'string') continue;
      const units = 2 * Math.max(1, Math.ceil(actionSize(action) / 1024));
      byTable.set(action.TableName, (byTable.get(action.TableName) || 0) + units);
    }
  }
  const total = [...byTable.values()].reduce((sum, units) => sum + units, 0);
  return {
    readUnits: 0,
    writeUnits: total,
    capacityUnits: total,
    tables: [...byTable.keys()],
    byTable: [...byTable].map(([table, units]) => ({ table, units })),
  };
}

module.exports = { itemSize, transactWriteCapacity };
