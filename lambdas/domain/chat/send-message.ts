import { BadRequestError, ForbiddenError, MessengerError, NotFoundError } from '../errors';
import type { StoredMessage } from '../messages';
import type { MessageQueue, SendRecord, ThreadStore } from './ports';
import { directThreadId, newMessageId } from './threads';

/** A validated `sendMessage` frame: exactly one of `to` and `threadId`. */
export interface SendMessageRequest {
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly text: string;
  readonly to?: string;
  readonly threadId?: string;
}

export interface SendDependencies {
  readonly threads: ThreadStore;
  readonly queue: MessageQueue;
  readonly now: () => number;
}

/** Concurrent senders in one thread race for each seq; the loser reads again and takes the next. */
const MAX_SEQ_ATTEMPTS = 25;

export interface SentMessage {
  readonly message: StoredMessage;
  /** False when this was a retry of a send that had already committed. */
  readonly isNew: boolean;
}

function fromRecord(request: SendMessageRequest, record: SendRecord): StoredMessage {
  return { ...record, senderId: request.senderId, clientMsgId: request.clientMsgId, text: request.text };
}

/**
 * Gives the message the thread's next seq and makes it durable, exactly once per
 * (sender, clientMsgId): a retry answers with the message it first created. Then hands it to the
 * queue for history; that step is repeated on a retry, since history stores a message once
 * however often it arrives.
 */
export async function sendMessage(request: SendMessageRequest, deps: SendDependencies): Promise<SentMessage> {
  if (request.to !== undefined && request.to === request.senderId) {
    throw new BadRequestError('to: you cannot start a conversation with yourself');
  }
  const threadId = request.threadId ?? directThreadId(request.senderId, request.to!);

  for (let attempt = 1; attempt <= MAX_SEQ_ATTEMPTS; attempt++) {
    const context = await deps.threads.loadSendContext(threadId, request.senderId, request.clientMsgId);
    if (context.previous) {
      const message = fromRecord(request, context.previous);
      await deps.queue.enqueue(message);
      return { message, isNew: false };
    }
    const creating = context.thread === undefined;
    if (creating && request.to === undefined) throw new NotFoundError('threadId: no such thread');
    if (!creating && !context.senderIsMember) throw new ForbiddenError('you are not a member of this thread');

    const message: StoredMessage = {
      threadId,
      seq: (context.thread?.lastSeq ?? 0) + 1,
      messageId: newMessageId(),
      senderId: request.senderId,
      clientMsgId: request.clientMsgId,
      text: request.text,
      sentAt: deps.now(),
    };
    const outcome = await deps.threads.commitMessage({
      message,
      createDirectThread: creating ? [request.senderId, request.to!] : undefined,
    });
    switch (outcome) {
      case 'committed':
        await deps.queue.enqueue(message);
        return { message, isNew: true };
      case 'not_member':
        throw new ForbiddenError('you are not a member of this thread');
      case 'seq_taken':
      case 'duplicate':
        // Read again: the next seq, or the send that committed first with this clientMsgId.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
        continue;
    }
  }
  throw new MessengerError('rate_limited', 'this thread is too busy right now; retry the send');
}
