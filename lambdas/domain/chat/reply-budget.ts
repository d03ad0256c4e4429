/**
 * API Gateway sends a client no message over 128 KB (its WebSocket message quota): a route
 * response that large never arrives, and `@connections` refuses it. Replies that grow with what
 * they list stop at this many bytes of listed items, leaving the rest of the 128 KB for the
 * frame's envelope (type, reqId, ids, flags: a few hundred bytes).
 */
export const REPLY_BUDGET_BYTES = 120 * 1024;

/** A value's size in a frame: its JSON in UTF-8 bytes, as the quota counts, not characters. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * How many of `items`, taken in order, fit within `budget` bytes as the members of a JSON array.
 * Never fewer than one of a non-empty list, so that paging always moves on: the protocol's own
 * limits keep any one item far below the budget (a 4000-character message, a 1024-member group).
 */
export function countWithinBudget(items: readonly unknown[], budget: number = REPLY_BUDGET_BYTES): number {
  let used = 2; // the brackets
  for (let index = 0; index < items.length; index++) {
    used += jsonBytes(items[index]) + (index > 0 ? 1 : 0);
    if (used > budget) return Math.max(index, 1);
  }
  return items.length;
}
