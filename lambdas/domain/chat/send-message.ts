import { commitMessage, type CommitPorts, type SendMessageRequest, type SentMessage } from './commit-message';
import { deliverMessage, type DeliveryPorts } from './deliver-message';
import type { PushRequester, SendObserver } from './ports';

export interface SendPorts extends CommitPorts, DeliveryPorts {
  readonly push: PushRequester;
  readonly observer: SendObserver;
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
 * sender, deliver to the members and ask for push for those offline. The ack goes out before
 * delivery starts, so that its latency does not grow with the group, and a failed ack does not
 * keep the message from the members. A retry of a send that already committed is acked again and
 * delivers nothing: the first send delivered it.
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
  queue,
  rate,
  clock,
  sleep,
  connections,
  notifier,
  push,
  observer,
}: SendMessageRequest & SendPorts & { readonly reqId?: string; readonly fromConnectionId: string }): Promise<SentMessage> {
  const committed = await commitMessage({ senderId, clientMsgId, text, to, threadId, threads, queue, rate, clock, sleep });
  observer.committed(committed.message, committed.isNew);

  await notifier.post(fromConnectionId, ackFrame(committed.message, reqId)).then(
    (outcome) => (outcome === 'delivered' ? observer.acked() : undefined),
    (error: unknown) => observer.ackFailed(error),
  );
  if (!committed.isNew) return committed.message;

  await deliverMessage({ message: committed.message, fromConnectionId, threads, connections, notifier, push, observer });
  return committed.message;
}
