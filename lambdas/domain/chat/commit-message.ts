import { createHash } from 'node:crypto';
import { ACTION_UNITS, DEFAULT_FRAME_UNITS, UNITS_PER_MESSAGE_RECIPIENT, type Purse } from '../budget';
import { BadRequestError, ForbiddenError, MessengerError } from '../errors';
import { isBlockedPair } from '../user-pairs';
import type { StoredMessage } from '../messages';
import type { SendContext, SendRecord, ThreadStore } from './ports';
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
  /** The sender's budget: a send pays `ACTION_UNITS.sendMessage` and one message from `sends`, and a group's recipients, here. */
  readonly purse: Purse;
  /** The time now, in epoch ms. */
  readonly clock: () => number;
  /** Waits between attempts. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { MAX_SENDS_PER_SECOND } from '../budget';

/**
 * How long a send may keep racing other senders for a seq, from its start: well inside API
 * Gateway's 29 s wait, even with one more bounded DynamoDB call (lambdas/shared/clients/dynamodb.ts)
 * and the ack after it.
 */
export const SEQ_BUDGET_MS = 10_000;

export const REUSED_CLIENT_MSG_ID = 'clientMsgId was already used for a different message';

/**
 * The one answer to a thread the caller may not use, whether it exists or not (docs/protocol.md,
 * "No oracles"): a one-to-one thread's id derives from its two users, so telling "no such thread"
 * from "not yours" would tell a stranger whether two users ever talked.
 */
export const NOT_A_MEMBER = 'you are not a member of this thread';

/** What the sender of a one-to-one message is told when the other has blocked them: Messenger's "unavailable", nothing more. */
export const UNAVAILABLE = 'this person is unavailable right now';
export const YOU_BLOCKED = 'you have blocked this person; unblock them to message them';

/** Exponential backoff with full jitter, so that racing senders spread out instead of colliding again. */
function backOffMs(attempt: number): number {
  return Math.random() * Math.min(1000, 10 * 2 ** attempt);
}

/** A committed message as its send record knows it: everything but the text, which a retry must not supply. */
export type SentMessage = Omit<StoredMessage, 'text'>;

export type CommittedMessage =
  | {
      readonly isNew: true;
      readonly message: StoredMessage;
      /** The sender was in the thread by request: sending accepts it (from whom the request came, when known). */
      readonly acceptsRequest?: { readonly from?: string };
    }
  /** A retry of a send that had already committed, answered from its send record. */
  | { readonly isNew: false; readonly message: SentMessage };

/**
 * What identifies a send's content: the thread it resolved to and its text. SHA-256 of their JSON
 * encoding, which no two different payloads share; the send record keeps this instead of the text.
 */
export function payloadDigest(threadId: string, text: string): string {
  return createHash('sha256').update(JSON.stringify([threadId, text])).digest('base64url');
}

/**
 * Gives the message the thread's next seq and makes it durable, exactly once per
 * (sender, clientMsgId): a retry with the same payload answers with the message it first created;
 * the same clientMsgId with another payload is refused and changes nothing. What follows the
 * commit (history, delivery, push) is carried by the staged copy: the outbox relay
 * (`outbox-relay.ts`) hands it on even when this function dies right after the commit.
 */
export async function commitMessage(args: SendMessageRequest & CommitPorts): Promise<CommittedMessage> {
  const { threads, purse, clock, sleep = timer, ...request } = args;
  const startedAt = clock();
  if (request.to !== undefined && request.to === request.senderId) {
    // No message: it pays what any frame does.
    await purse.spend(DEFAULT_FRAME_UNITS);
    throw new BadRequestError('to: you cannot start a conversation with yourself');
  }
  const threadId = request.threadId ?? directThreadId(request.senderId, request.to!);
  const digest = payloadDigest(threadId, request.text);

  /**
   * Answers a send whose clientMsgId has a record. The retry check comes before the membership
   * check on purpose: the message was committed while the sender was a member, the ack tells
   * them nothing the first one did not, and a payload check means the retry can change nothing,
   * so a member removed while their outbox flushes still gets the ack that stops its retries.
   */
  let countGivenBack = false;
  let charged = true;
  const answerFromRecord = async (record: SendRecord): Promise<CommittedMessage> => {
    // Records written before digests were kept (they expire two days after their send) can only be
    // checked for the thread. They are taken as retries, since clients retry with the same text;
    // nothing of the request reaches history or members: they get the staged copy (send-message.ts).
    const sameSend = record.payloadDigest === undefined ? record.threadId === threadId : record.payloadDigest === digest;
    // No new message came of this send, so it does not count against the rate, nor cost a new
    // message's units: it pays what any frame does. A give-back that fails only keeps the charge,
    // which is better than failing the answer for it.
    countGivenBack = true;
    const uncounted = charged ? purse.giveBack(ACTION_UNITS.sendMessage - DEFAULT_FRAME_UNITS, 'sends', 1) : Promise.resolve();
    if (!sameSend) {
      await uncounted;
      throw new BadRequestError(REUSED_CLIENT_MSG_ID);
    }
    const { seq, messageId, sentAt } = record;
    const message: SentMessage = { threadId: record.threadId, seq, messageId, sentAt, senderId: request.senderId, clientMsgId: request.clientMsgId };
    await uncounted;
    return { isNew: false, message };
  };

  /** The seq loop: commits the message under the thread's next seq, or answers from the record a racing twin left. */
  const commitNew = async (loaded: SendContext): Promise<CommittedMessage> => {
    let context = loaded;
    for (let attempt = 1; ; attempt++) {
      if (context.previous) return answerFromRecord(context.previous);
      // No attempt starts after the budget.
      if (attempt > 1 && clock() - startedAt >= SEQ_BUDGET_MS) throw new MessengerError('rate_limited', 'this thread is too busy right now; retry the send');
      const creating = context.thread === undefined;
      if (!creating && !context.senderIsMember && request.to !== undefined) {
        // The sender is by definition a member of the one-to-one thread their `to` names, and its
        // head and both members' items are written in one transaction, which a batch read may see
        // only part of (DynamoDB isolates BatchGetItem per item, not per transaction): another send
        // is creating the thread right now. Read again.
        await sleep(Math.min(backOffMs(attempt), Math.max(0, startedAt + SEQ_BUDGET_MS - clock())));
        context = await threads.loadSendContext(threadId, request.senderId, request.clientMsgId);
        continue;
      }
      if (creating ? request.to === undefined : !context.senderIsMember) throw new ForbiddenError(NOT_A_MEMBER);
      // Only one-to-one threads have a pair; in groups, people who blocked one another still meet, as in Messenger.
      if (isBlockedPair(context.pair)) throw new ForbiddenError(context.pair!.blockedBy.includes(request.senderId) ? YOU_BLOCKED : UNAVAILABLE);
      // A group's message costs by its members, paid once, before the commit writes and only by a
      // member: charged earlier, a stranger's refusal (retryAfterMs) would tell the group's size.
      if (attempt === 1 && context.thread?.kind === 'group') await purse.spend(UNITS_PER_MESSAGE_RECIPIENT * Math.max(0, (context.thread.memberCount ?? 0) - 2), 'sends');

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
        payloadDigest: digest,
        createDirectThread: creating ? [request.senderId, request.to!] : undefined,
        // A first message lands as a request unless its recipient accepts the sender already.
        recipientByRequest: creating && !(context.pair?.acceptedBy.includes(request.to!) ?? false),
        recheckMembership: !creating && context.thread!.kind === 'group',
      });
      switch (result.outcome) {
        case 'committed':
          return {
            message,
            isNew: true,
            ...(context.senderConsent === undefined ? {} : { acceptsRequest: context.senderRequestedBy === undefined ? {} : { from: context.senderRequestedBy } }),
          };
        case 'not_member':
          throw new ForbiddenError(NOT_A_MEMBER);
        case 'seq_taken':
          // No wait outlasts the budget either.
          await sleep(Math.min(backOffMs(attempt), Math.max(0, startedAt + SEQ_BUDGET_MS - clock())));
          // The store says where the thread is now, so the next attempt needs no read.
          context =
            result.lastSeq !== undefined && context.thread !== undefined
              ? { ...context, thread: { ...context.thread, lastSeq: result.lastSeq } }
              : await threads.loadSendContext(threadId, request.senderId, request.clientMsgId);
          continue;
        case 'duplicate':
          // The same clientMsgId committed meanwhile: its record answers this one.
          context = await threads.loadSendContext(threadId, request.senderId, request.clientMsgId);
          continue;
      }
    }
  };

  // The send pays (its units and one message, in one write of `sends`) beside its first read, so
  // the budget adds no round trip; refused, it has written nothing.
  const [charge, load] = await Promise.allSettled([
    purse.spend(ACTION_UNITS.sendMessage, 'sends', 1),
    threads.loadSendContext(threadId, request.senderId, request.clientMsgId),
  ]);
  if (load.status === 'rejected') throw load.reason;
  const loaded = load.value;
  if (loaded.previous) {
    if (charge.status === 'rejected') {
      // A retry is answered even at the limit, as it makes no message: it pays what any frame does, from `actions`.
      charged = false;
      await purse.spend(DEFAULT_FRAME_UNITS);
    }
    return answerFromRecord(loaded.previous);
  }
  if (charge.status === 'rejected') throw charge.reason;
  try {
    return await commitNew(loaded);
  } catch (error) {
    // Only new messages count: a send refused (not a member, no such thread, a thread too busy)
    // gives its message back, as a retry does (unless a racing twin's record already answered
    // it); its units paid for the reads. A failure of the store keeps the count: its commit may have landed.
    if (error instanceof MessengerError && !countGivenBack) await purse.giveBack(0, 'sends', 1);
    throw error;
  }
}
