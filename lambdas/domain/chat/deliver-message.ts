import type { StoredMessage } from '../messages';
import { inPool } from '../pool';
import type { ConnectionDirectory, ConnectionNotifier, LiveConnection } from './ports';

/** Lookups and posts in flight at once: enough to reach a 1024-member group quickly, few enough to stay polite. */
const POST_CONCURRENCY = 32;

export interface DeliveryReport {
  readonly delivered: number;
  readonly gone: number;
  readonly failed: number;
  /** Users with no live connection at all: the ones to reach by push instead. */
  readonly offline: string[];
}

/** The frame every other connection of every member receives for a new message. */
export function messageFrame(message: StoredMessage) {
  return {
    type: 'message',
    threadId: message.threadId,
    seq: message.seq,
    messageId: message.messageId,
    senderId: message.senderId,
    clientMsgId: message.clientMsgId,
    text: message.text,
    sentAt: message.sentAt,
  };
}

/**
 * Posts a frame to every live connection of the given users except the one the action came
 * from. A connection the gateway reports gone is forgotten; any other failure is counted and
 * skipped: a member who misses a frame catches up with `getMessages` and `listThreads`.
 */
export async function deliverToUsers(
  frame: object,
  users: readonly string[],
  fromConnectionId: string,
  directory: ConnectionDirectory,
  notifier: ConnectionNotifier,
): Promise<DeliveryReport> {
  const connections: LiveConnection[] = [];
  const offline: string[] = [];
  await inPool([...new Set(users)], POST_CONCURRENCY, async (user) => {
    const live = await directory.liveConnectionsOf(user);
    if (live.length === 0) offline.push(user);
    connections.push(...live.filter((connection) => connection.connectionId !== fromConnectionId));
  });
  let delivered = 0;
  let gone = 0;
  let failed = 0;
  await inPool(connections, POST_CONCURRENCY, async (connection) => {
    try {
      if ((await notifier.post(connection.connectionId, frame)) === 'delivered') {
        delivered += 1;
      } else {
        gone += 1;
        await directory.forget(connection);
      }
    } catch {
      failed += 1;
    }
  });
  return { delivered, gone, failed, offline };
}
