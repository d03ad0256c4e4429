import type { StoredMessage } from '../messages';
import { commitMessage, type CommitPorts, type SendMessageRequest, type SentMessage } from './commit-message';
import { deliverMessage, type DeliveryPorts } from './deliver-message';
import type { PushRequester, SendObserver, StagedMessages } from './ports';

export interface SendPorts extends CommitPorts, DeliveryPorts {
  readonly push: PushRequester;
  readonly observer: SendObserver;
  readonly staged: StagedMessages;
}

/** The `sent` ack: the sender's answer, once the message is durable. */
export function ackFrame(message: SentMessage, reqId?: string) {
  return {
    type: 'ack',
    ...(reqId === undefined ? {} : { reqId }),
    status: 'sent',
    clientMsgId: message.clientMsgId,
    threadId: message.threadId,
    seq: message.seq,
    messageId: message.messageId,
    sentAt: message.sentAt,
  };
}

/**
 * A `sendMessage` from start to end: commit (one order per thread, once per clientMsgId), ack the
 * sender, deliver to the members and ask for push for those offline, then mark the staged copy
 * delivered. The ack goes out before delivery starts, so that its latency does not grow with the
 * group, and a failed ack does not keep the message from the members. This is the fast path: if
 * the function dies before the mark, the outbox relay delivers the staged copy instead.
 *
 * A reply from a member who is in the thread by request accepts the request first (docs/protocol.md,
 * "Message requests").
 *
 * An exact retry is acked again, and delivers again (from the staged copy, never from the
 * request) unless the copy is marked delivered or already released to history, which the relay
 * does only after delivering it: the first send may have died before delivering.
 */
export async function sendMessage({
  reqId,
  fromConnectionId,
  senderId,
  clientMsgId,
  text,
  to,
  threadId,
  threads,
  purse,
  clock,
  sleep,
  connections,
  notifier,
  push,
  observer,
  staged,
}: SendMessageRequest & SendPorts & { readonly reqId?: string; readonly fromConnectionId: string }): Promise<SentMessage> {
  const committed = await commitMessage({ senderId, clientMsgId, text, to, threadId, threads, purse, clock, sleep });
  const { message } = committed;
  observer.committed(message, committed.isNew);
  // Replying to a request accepts it, before the ack. Should this write fail, the message stands: the
  // send answers an error, its retry the ack (from the send record), and the next reply accepts.
  if (committed.isNew && committed.acceptsRequest) await threads.acceptRequest(message.threadId, senderId, committed.acceptsRequest.from);

  await notifier.post(fromConnectionId, ackFrame(message, reqId)).then(
    (outcome) => (outcome === 'delivered' ? observer.acked() : undefined),
    (error: unknown) => observer.ackFailed(error),
  );
  // From here on the message is the relay's if this fails: the sender has its ack, so a failure
  // is told to the observer, not answered as an error after the ack.
  try {
    const key = { threadId: message.threadId, seq: message.seq };
    let toDeliver: StoredMessage;
    if (committed.isNew) {
      toDeliver = committed.message;
    } else {
      const copy = await staged.staged(key);
      if (copy === undefined || copy.delivered) return message;
      toDeliver = copy.message;
    }
    const report = await deliverMessage({ message: toDeliver, fromConnectionId, threads, connections, notifier, push, observer });
    // A post that failed other than with "gone" (throttled, 5xx) leaves the copy unmarked, so that
    // the relay delivers it again after the lease; clients drop the duplicates.
    if (report.failed === 0) await staged.markDelivered(key).catch((error: unknown) => observer.markFailed(error));
  } catch (error) {
    observer.deliveryFailed(error);
  }
  return message;
}
