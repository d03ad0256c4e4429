import { BadRequestError, ForbiddenError, MessengerError, NotFoundError } from '../errors';
import type { StoredMessage } from '../messages';
import type { SendRateCounter, SendRecord, ThreadStore } from './ports';
import { directThreadId, newMessageId } from './threads';

/** A validated `sendMessage` frame: exactly one of `to` and `threadId`. */
export interface SendMessageRequest {
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly text: string;
  readonly to?: string;
  readonly threadId?: string;
}

export interface CommitPorts {
  readonly threads: ThreadStore;
  readonly rate: SendRateCounter;
  /** The time now, in epoch ms. */
  readonly clock: () => number;
  /** Waits between attempts. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** docs/protocol.md, "Sending": a user may send 20 messages a second; the excess is refused. */
export const MAX_SENDS_PER_SECOND = 20;

/** Concurrent senders in one thread race for each seq; the loser takes the next. */
const MAX_SEQ_ATTEMPTS = 40;

/** Exponential backoff with full jitter, so that racing senders spread out instead of colliding again. */
function backOffMs(attempt: number): number {
  return Math.random() * Math.min(1000, 10 * 2 ** attempt);
}

export interface CommittedMessage {
  readonly message: StoredMessage;
  /** False when this was a retry of a send that had already committed. */
  readonly isNew: boolean;
}

function fromRecord(request: SendMessageRequest, record: SendRecord): StoredMessage {
  return { ...record, senderId: request.senderId, clientMsgId: request.clientMsgId, text: request.text };
}

/**
 * Gives the message the thread's next seq and makes it durable, exactly once per
 * (sender, clientMsgId): a retry answers with the message it first created. What follows the
 * commit (history, delivery, push) is carried by the staged copy: the outbox relay
 * (`outbox-relay.ts`) hands it on even when this function dies right after the commit.
 */
export async function commitMessage(args: SendMessageRequest & CommitPorts): Promise<CommittedMessage> {
  const { threads, rate, clock, sleep = timer, ...request } = args;
  if (request.to !== undefined && request.to === request.senderId) {
    throw new BadRequestError('to: you cannot start a conversation with yourself');
  }
  const threadId = request.threadId ?? directThreadId(request.senderId, request.to!);

  // Counting runs beside the read, so the limit adds no round trip to the send.
  const [sendsThisSecond, loaded] = await Promise.all([
    rate.countSend(request.senderId, clock()),
    threads.loadSendContext(threadId, request.senderId, request.clientMsgId),
  ]);
  if (sendsThisSecond > MAX_SENDS_PER_SECOND) {
    throw new MessengerError('rate_limited', `you are sending more than ${MAX_SENDS_PER_SECOND} messages a second; slow down and retry`);
  }
  let context = loaded;
  for (let attempt = 1; attempt <= MAX_SEQ_ATTEMPTS; attempt++) {
    if (context.previous) {
      return { message: fromRecord(request, context.previous), isNew: false };
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
      sentAt: clock(),
    };
    const result = await threads.commitMessage({
      message,
      createDirectThread: creating ? [request.senderId, request.to!] : undefined,
      recheckMembership: !creating && context.thread!.kind === 'group',
    });
    switch (result.outcome) {
      case 'committed':
        return { message, isNew: true };
      case 'not_member':
        throw new ForbiddenError('you are not a member of this thread');
      case 'seq_taken':
        await sleep(backOffMs(attempt));
        // The store says where the thread is now, so the next attempt needs no read.
        context =
          result.lastSeq !== undefined && context.thread !== undefined
            ? { ...context, thread: { ...context.thread, lastSeq: result.lastSeq } }
            : await threads.loadSendContext(threadId, request.senderId, request.clientMsgId);
        continue;
      case 'duplicate':
        // The same send committed meanwhile: its record answers this one.
        context = await threads.loadSendContext(threadId, request.senderId, request.clientMsgId);
        continue;
    }
  }
  throw new MessengerError('rate_limited', 'this thread is too busy right now; retry the send');
}
