import type { StoredMessage } from '../messages';
import { inPool } from '../pool';
import { pushPreview } from '../push';
import type { ConnectionDirectory, ConnectionNotifier, DeliveryObserver, DeliveryReport, LiveConnection, PushRequester, ThreadStore } from './ports';

/** Lookups and posts in flight at once: enough to reach a 1024-member group quickly, few enough to stay polite. */
const POST_CONCURRENCY = 32;

/** The ports that reach users' connections. */
export interface DeliveryPorts {
  readonly connections: ConnectionDirectory;
  readonly notifier: ConnectionNotifier;
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
export async function deliverToUsers({
  frame,
  users,
  fromConnectionId,
  connections: directory,
  notifier,
}: DeliveryPorts & {
  readonly frame: object;
  readonly users: readonly string[];
  /** The connection the action came from, which gets its reply instead; none for work that no connection started. */
  readonly fromConnectionId?: string;
}): Promise<DeliveryReport> {
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

/**
 * Delivers a committed message: its frame to every live connection of every member but the one
 * it was sent from, then one push request for the members other than the sender who have no live
 * connection at all. Takes only the committed message, so that whatever finds a message not yet
 * delivered (the send itself, or a relay after the send died) delivers it the same way.
 */
export async function deliverMessage({
  message,
  fromConnectionId,
  threads,
  connections,
  notifier,
  push,
  observer,
}: DeliveryPorts & {
  readonly message: StoredMessage;
  /** The sender's connection, which got the ack instead; none when the sender's connection is not known. */
  readonly fromConnectionId?: string;
  readonly threads: Pick<ThreadStore, 'membersOf'>;
  readonly push: PushRequester;
  readonly observer: DeliveryObserver;
}): Promise<void> {
  const members = await threads.membersOf(message.threadId);
  const report = await deliverToUsers({ frame: messageFrame(message), users: members, fromConnectionId, connections, notifier });
  observer.delivered(report);
  const offline = report.offline.filter((member) => member !== message.senderId);
  if (offline.length === 0) return;
  await push
    .request({ recipients: offline, senderId: message.senderId, threadId: message.threadId, seq: message.seq, preview: pushPreview(message.text) })
    .catch((error: unknown) => observer.pushFailed(error));
}
