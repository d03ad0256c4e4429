import { ForbiddenError } from './errors';

/** One forward per user per thread per second at most: typing signals are frequent and worthless when stale. */
export const TYPING_INTERVAL_MS = 1000;

/** Admits a typing signal: checks membership and the rate in one step. */
export interface TypingGate {
  admit(threadId: string, userId: string, now: number): Promise<'admitted' | 'throttled' | 'not_member'>;
}

/**
 * Decides whether a typing signal goes out: members only (`forbidden` otherwise), and at most one
 * per second per user and thread; the excess is dropped without an error, since the next signal
 * says the same. Typing is never stored beyond that rate mark.
 */
export async function admitTyping(gate: TypingGate, threadId: string, userId: string, now: number): Promise<boolean> {
  const verdict = await gate.admit(threadId, userId, now);
  if (verdict === 'not_member') throw new ForbiddenError('you are not a member of this thread');
  return verdict === 'admitted';
}
