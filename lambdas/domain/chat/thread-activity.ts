import { inPool } from '../pool';
import type { ThreadStore } from './ports';

/** Threads worked on at once. */
const CONCURRENCY = 16;

/** A message as it was staged in its thread: what moves the members' thread rows. */
export interface StagedMessage {
  readonly threadId: string;
  readonly seq: number;
  readonly sentAt: number;
}

export interface ActivityReport {
  readonly threadsAdvanced: number;
  /** Threads whose members' rows could not be moved, with why; their messages are to be retried. */
  readonly failures: Array<{ readonly threadId: string; readonly error: unknown }>;
}

/**
 * Moves every member's row of each thread (its place in listThreads, and its `lastSeq`) to the
 * newest of the thread's messages given: one member lookup and one conditional update per member
 * and thread, however many of the thread's messages came together. Rows never move back, so
 * messages arriving again or out of order change nothing.
 */
export async function advanceThreadActivity({
  messages,
  threads,
}: {
  readonly messages: readonly StagedMessage[];
  readonly threads: Pick<ThreadStore, 'membersOf' | 'advanceActivity'>;
}): Promise<ActivityReport> {
  const newest = new Map<string, StagedMessage>();
  for (const message of messages) {
    if (message.seq > (newest.get(message.threadId)?.seq ?? 0)) newest.set(message.threadId, message);
  }
  const failures: ActivityReport['failures'] = [];
  await inPool([...newest.values()], CONCURRENCY, async (message) => {
    try {
      await threads.advanceActivity(message.threadId, await threads.membersOf(message.threadId), message.seq, message.sentAt);
    } catch (error) {
      failures.push({ threadId: message.threadId, error });
    }
  });
  return { threadsAdvanced: newest.size - failures.length, failures };
}
