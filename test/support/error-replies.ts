import { standIns } from './local-cloud-env';

type Frame = Record<string, unknown>;

/** The error codes of the client contract (docs/protocol.md, "Frames"). */
const ERROR_CODES = ['bad_request', 'forbidden', 'not_found', 'rate_limited', 'internal'];

/** What gives away the inside: stack frames, source files, ARNs, SDK and driver error names. */
const INTERNAL_DETAIL = [
  /\bat \S+ \(/,
  /\n\s+at /,
  /\.[cm]?[jt]s:\d/,
  /node_modules/,
  /arn:/i,
  /\w+(Exception|Error)\b/,
  /Error:/,
  /ConditionalCheck/,
  /TransactionCanceled/,
  /ValidationException/,
  /ResourceNotFound/,
  /NoHostAvailable/,
  /\bDynamoDB\b|\bSQS\b|\bSNS\b|\bCassandra\b|\bKeyspaces\b|\bLambda\b/i,
  /\[object /,
];

/** The names the local cloud gives the template's tables, queues, topics and keyspace tables. */
export async function internalNames(): Promise<string[]> {
  const { dynamodb, sqs, sns, cassandra } = await standIns();
  return [
    ...Object.values(dynamodb.tables),
    ...Object.values(sqs.queues).map((url) => url.split('/').pop()!),
    ...Object.values(sns.topics),
    ...cassandra.tables,
    'Messenger-',
  ];
}

/**
 * Checks that `frame` is an error reply of the contract whose message is for people: a known
 * code, a short message, and nothing of the inside (stack traces, internal names, resource names
 * or ARNs).
 */
export function expectCleanError(frame: Frame, names: readonly string[], code?: string): void {
  const described = JSON.stringify(frame);
  expect({ type: frame.type, code: frame.code }).toEqual({ type: 'error', code: code ?? expect.stringMatching(new RegExp(`^(${ERROR_CODES.join('|')})$`)) });
  // `retryAfterMs`, a whole number of milliseconds, may come with rate_limited (docs/protocol.md, "Budgets and caps").
  const fields = ['type', 'reqId', 'code', 'message', ...(frame.code === 'rate_limited' ? ['retryAfterMs'] : [])];
  expect(Object.keys(frame).filter((key) => !fields.includes(key))).toEqual([]);
  if (frame.retryAfterMs !== undefined) expect(Number.isSafeInteger(frame.retryAfterMs) && (frame.retryAfterMs as number) >= 0).toBe(true);
  expect(typeof frame.message).toBe('string');
  const message = frame.message as string;
  expect(message.length).toBeGreaterThan(0);
  expect(message.length).toBeLessThanOrEqual(200);
  for (const pattern of INTERNAL_DETAIL) {
    if (pattern.test(message)) throw new Error(`error reply gives away ${pattern}: ${described}`);
  }
  for (const name of names) {
    if (message.includes(name)) throw new Error(`error reply names ${name}: ${described}`);
  }
}
