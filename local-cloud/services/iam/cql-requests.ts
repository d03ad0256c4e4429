/**
 * What the Keyspaces proxy saw of one request a function ran (QUERY, EXECUTE or BATCH): its table
 * statements, how long Cassandra took to answer, how it answered, and the bytes each way, from
 * which CloudWatch's `AWS/Cassandra` metrics are derived.
 */
import type { CqlStatement } from './cql-statements';

export type TableStatement = Extract<CqlStatement, { kind: 'access' }>;

/**
 * `ok` for a RESULT; for an ERROR, `system-error` when the server failed (Server error 0x0000 and
 * the 0x1xxx family: unavailable, overloaded, bootstrapping, timeouts, read/write/function
 * failures, as `native_protocol_v4.spec` groups them), `user-error` for the request's own fault
 * (syntax, unauthorized, invalid, already exists, unprepared, protocol, credentials), which is
 * also what the proxy's own refusals are.
 */
export type CqlAnswer = 'ok' | 'user-error' | 'system-error';

export interface CqlRequestOutcome {
  readonly statements: readonly TableStatement[];
  readonly answer: CqlAnswer;
  /** From the request's arrival at the proxy to Cassandra's answer leaving it. */
  readonly latencyMs: number;
  /** The request's body: what a write carries. */
  readonly requestBytes: number;
  /** The answer's body: what a read returns. */
  readonly responseBytes: number;
  /** Epoch ms of the answer. */
  readonly at: number;
}

export function answerOfErrorCode(code: number): Exclude<CqlAnswer, 'ok'> {
  return code === 0x0000 || (code >= 0x1000 && code < 0x2000) ? 'system-error' : 'user-error';
}
