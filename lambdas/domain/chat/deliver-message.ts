import type { StoredMessage } from '../messages';
import { inPool } from '../pool';
import { pushPreview } from '../push';
import type { ConnectionDirectory, ConnectionNotifier, DeliveryObserver, DeliveryReport, LiveConnection, PushRequester, ThreadStore } from './ports';
import { hiddenUpTo, type Member } from './threads';

/**
 * Who hears of a thread's messages and typing (docs/protocol.md, "Message requests"): every member
 * but one who declined it. A request is delivered live like any thread, so that what is acked
 * reaches every member's connections, and pushed as one: the push function leaves out a recipient
 * by request who turned `requestNotifications` off.
 */
export const hearsOfThread = (member: Member) => member.consent !== 'declined';
export const byRequest = (member: Member) => member.consent === 'request';

/**
 * The members who may hear of a message: under a group's `sinceJoined` setting, not those who
 * joined after it was committed (their `joinedSeq` is at or past its seq), whom getMessages hides
 * it from too; a late delivery (the relay's, or a send's that read the members after an add) must
 * not show it either. The head is read only when such a member is there.
 */
async function membersWhoMayRead(message: StoredMessage, members: readonly Member[], threads: Pick<ThreadStore, 'head'>): Promise<Member[]> {
  if (members.every((member) => (member.joinedSeq ?? 0) < message.seq)) return [...members];
  const head = await threads.head(message.threadId);
  // No head: the thread went away; tell only those who were there before the message.
  return members.filter((member) => message.seq > (head === undefined ? (member.joinedSeq ?? 0) : hiddenUpTo(head, member.joinedSeq ?? 0)));
}

/** Posts in flight at once: enough to reach a 1024-member group quickly, few enough to stay polite. */
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
 * Posts a frame to every connection of the given users except the one the action came from. A
 * connection the gateway reports gone is forgotten; any other failure is counted and skipped: a
 * member who misses a frame catches up with `getMessages` and `listThreads`. `onLookedUp` hears of
 * the users with no connection as soon as they are known, without waiting for the posts, so that
 * work for them (push) need not wait for the whole fan-out. A lookup that fails fails the delivery
 * before anything is posted.
 */
export async function deliverToUsers({
  frame,
  users,
  fromConnectionId,
  connections: directory,
  notifier,
  onLookedUp,
}: DeliveryPorts & {
  readonly frame: object;
  readonly users: readonly string[];
  /** The connection the action came from, which gets its reply instead; none for work that no connection started. */
  readonly fromConnectionId?: string;
  readonly onLookedUp?: (offline: readonly string[]) => void;
}): Promise<DeliveryReport> {
  const offline: string[] = [];
  const targets: LiveConnection[] = [];
  for (const [user, connections] of await directory.connectionsOf([...new Set(users)])) {
    if (connections.length === 0) offline.push(user);
    targets.push(...connections.filter((connection) => connection.connectionId !== fromConnectionId));
  }
  onLookedUp?.(offline);
  let delivered = 0;
  let gone = 0;
  let failed = 0;
  const reachedOrTrying = new Set<string>();
  const posted = new Set<string>();
  await inPool(targets, POST_CONCURRENCY, async (connection) => {
    posted.add(connection.userId);
    let outcome: 'delivered' | 'gone';
    try {
      outcome = await notifier.post(connection.connectionId, frame);
    } catch {
      // Not known to be gone: the connection may still be there.
      failed += 1;
      reachedOrTrying.add(connection.userId);
      return;
    }
    if (outcome === 'delivered') {
      delivered += 1;
      reachedOrTrying.add(connection.userId);
      return;
    }
    gone += 1;
    // Gone whether or not it can be forgotten now (a later post finds it gone again): its user may be pushed.
    await directory.forget(connection).catch(() => undefined);
  });
  const unreachable = [...posted].filter((user) => !reachedOrTrying.has(user));
  return { delivered, gone, failed, offline, unreachable };
}

/**
 * Delivers a committed message: its frame to every live connection of every member (but those
 * who declined it, and those a `sinceJoined` group hides it from) except the one it was sent from, and push for the members other than the
 * sender who cannot be reached (those in the thread by request named apart, as the push function
 * drops them when they turned request notifications off): one
 * request for those with no live connection, sent as soon as the lookups are done (beside the
 * posts, so that a slow fan-out cannot hold it up), and one after the posts for those whose every
 * connection turned out gone. Takes only the committed message, so that whatever finds a message
 * not yet delivered (the send itself, a retry, or the relay after the send died) delivers it the
 * same way.
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
  readonly threads: Pick<ThreadStore, 'membersWithRoles' | 'head'>;
  readonly push: PushRequester;
  readonly observer: DeliveryObserver;
}): Promise<DeliveryReport> {
  const members = await membersWhoMayRead(message, (await threads.membersWithRoles(message.threadId)).filter(hearsOfThread), threads);
  const requested = new Set(members.filter(byRequest).map((member) => member.userId));
  const requestPush = async (users: readonly string[]) => {
    const others = users.filter((member) => member !== message.senderId);
    const recipients = others.filter((member) => !requested.has(member));
    const requestRecipients = others.filter((member) => requested.has(member));
    if (others.length === 0) return;
    await push
      .request({
        recipients,
        ...(requestRecipients.length === 0 ? {} : { requestRecipients }),
        senderId: message.senderId,
        threadId: message.threadId,
        seq: message.seq,
        preview: pushPreview(message.text),
      })
      .catch((error: unknown) => observer.pushFailed(error));
  };
  let offlinePushed: Promise<void> = Promise.resolve();
  const report = await deliverToUsers({
    frame: messageFrame(message),
    users: members.map((member) => member.userId),
    fromConnectionId,
    connections,
    notifier,
    onLookedUp: (offline) => {
      offlinePushed = requestPush(offline);
    },
  });
  observer.delivered(report);
  await Promise.all([offlinePushed, requestPush(report.unreachable)]);
  return report;
}
