import type { StoredMessage } from '../messages';
import { inPool } from '../pool';
import { deliverMessage, type DeliveryPorts } from './deliver-message';
import { rowsLagBehind } from './threads';
import type { DeliveryObserver, MessageQueue, PushRequester, StagedKey, StagedMessages, ThreadStore } from './ports';

/** Threads worked on at once. */
const CONCURRENCY = 16;

/**
 * How long after its commit a staged message is left to the send that committed it, before the
 * relay delivers it instead. The send delivers right after its ack: a 1:1 message is out within
 * a few hundred milliseconds even at p99, so a second leaves a wide margin and still heals a send
 * that died within about two seconds of the commit (with the stream's latency and the delivery).
 * A group's fan-out grows with its members (a 1024-member group takes about 2.5 s to reach the
 * last member at p95, docs/benchmark.md), so the lease grows by 4 ms a member: a slow but living
 * send is not doubled by the relay, at the price of a slower heal for a big group.
 */
export function leaseMs(memberCount: number): number {
  return 1000 + 4 * memberCount;
}

export interface RelayPorts extends DeliveryPorts {
  readonly threads: Pick<ThreadStore, 'membersAndRowActivity' | 'membersWithRoles' | 'head' | 'advanceActivity'>;
  readonly staged: StagedMessages;
  readonly queue: MessageQueue;
  readonly push: PushRequester;
  readonly observer: RelayObserver;
  /** The time now, in epoch ms. */
  readonly clock: () => number;
  /** Waits for a lease to run out. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the relay tells as it goes, for logs, metrics and the local cloud's fault points. */
export interface RelayObserver extends DeliveryObserver {
  /** The send that committed this message did not mark it delivered within its lease: the relay delivers it. */
  delivering(message: StoredMessage): void;
}

export interface RelayReport {
  /** Messages handed to history. */
  readonly queued: number;
  /** Messages the relay delivered because their send had not. */
  readonly delivered: number;
  /** Threads whose messages are to be relayed again, with why. */
  readonly failures: Array<{ readonly threadId: string; readonly error: unknown }>;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const keyOf = ({ threadId, seq }: StagedKey) => `${threadId}#${seq}`;

/**
 * Relays newly staged messages (the outbox, in commit order per thread) on to everything that
 * follows a commit, so that none of it is lost when the send's function dies after the commit:
 *
 * 1. delivery and push, for each message its send has not marked delivered (`marked`, the marks
 *    seen in the same stream batch) once its lease has run out, re-read strongly first (one batch
 *    read per thread) so that a send that finished meanwhile is not doubled; then the mark;
 * 2. each member's thread row, moved once per thread to its newest message, when the rows were last
 *    moved more than ROW_ACTIVITY_LAG_MS before it (listThreads orders by the heads within that lag);
 * 3. history: all messages handed to the queue in batches, after their delivery, so that a copy
 *    released by history (`release`) is always one the relay has already delivered.
 *
 * A thread whose step fails is reported, its messages not queued; the caller has them relayed
 * again, and every step is safe to repeat (a repeated delivery is dropped by clients by messageId).
 */
export async function relayStagedMessages({
  messages,
  marked,
  sleep = timer,
  ...ports
}: RelayPorts & { readonly messages: readonly StoredMessage[]; readonly marked: readonly StagedKey[] }): Promise<RelayReport> {
  const { threads, staged, queue, clock, observer } = ports;
  const markedKeys = new Set(marked.map(keyOf));
  const byThread = new Map<string, StoredMessage[]>();
  for (const message of messages) byThread.set(message.threadId, [...(byThread.get(message.threadId) ?? []), message]);

  const failures: RelayReport['failures'] = [];
  let delivered = 0;
  await inPool([...byThread], CONCURRENCY, async ([threadId, threadMessages]) => {
    try {
      const { members, rowActivity } = await threads.membersAndRowActivity(threadId);
      const waiting = threadMessages.filter((message) => !markedKeys.has(keyOf(message)));
      if (waiting.length > 0) {
        const leaseEnd = Math.max(...waiting.map((message) => message.sentAt)) + leaseMs(members.length);
        if (leaseEnd > clock()) await sleep(leaseEnd - clock());
        const undelivered = (await staged.undelivered(waiting)).sort((a, b) => a.seq - b.seq);
        for (const message of undelivered) {
          observer.delivering(message);
          // Members read again: one removed during the lease hears nothing more of the group.
          await deliverMessage({ message, ...ports });
          await staged.markDelivered(message).catch((error: unknown) => observer.markFailed(error));
          delivered += 1;
        }
      }
      const newest = threadMessages.reduce((a, b) => (b.seq > a.seq ? b : a));
      if (rowsLagBehind(rowActivity, newest.sentAt)) await threads.advanceActivity(threadId, members, newest.seq, newest.sentAt);
    } catch (error) {
      failures.push({ threadId, error });
    }
  });

  const failedThreads = new Set(failures.map(({ threadId }) => threadId));
  const toQueue = messages.filter((message) => !failedThreads.has(message.threadId));
  const notQueued = await queue.enqueueAll(toQueue);
  for (const message of notQueued) {
    if (failedThreads.has(message.threadId)) continue;
    failedThreads.add(message.threadId);
    failures.push({ threadId: message.threadId, error: new Error('the queue did not take the thread’s messages') });
  }
  return { queued: toQueue.length - notQueued.length, delivered, failures };
}
