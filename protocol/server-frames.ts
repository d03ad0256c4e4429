/**
 * Frames from server to client, as the Lambdas send them and the SDK validates them on arrival.
 * Objects are not strict: a later server may add optional fields without breaking older clients.
 */
import * as z from 'zod/mini';
import {
  clientMsgIdSchema,
  historyForNewMembersSchema,
  epochMillisSchema,
  messageIdSchema,
  presenceAudienceSchema,
  presenceStatusSchema,
  receiptStatusSchema,
  reqIdSchema,
  seqOrZeroSchema,
  seqSchema,
  textSchema,
  threadIdSchema,
  threadKindSchema,
  typingStateSchema,
  userIdSchema,
} from './fields';

export const errorCodeSchema = z.enum(['bad_request', 'forbidden', 'not_found', 'rate_limited', 'internal']);
/** The error codes of the client contract. */
export type ErrorCode = z.infer<typeof errorCodeSchema>;

const reply = { reqId: z.optional(reqIdSchema) };

/** A message of a thread, as `getMessages` returns it and (with its thread) as it is delivered. */
export const threadMessageSchema = z.object({
  seq: seqSchema,
  messageId: messageIdSchema,
  senderId: userIdSchema,
  clientMsgId: clientMsgIdSchema,
  text: textSchema,
  sentAt: epochMillisSchema,
});
export type ThreadMessage = z.infer<typeof threadMessageSchema>;

/** The reply to `sendMessage`, once the message is durable; a retry gets the same one. */
export const ackServerFrame = z.object({
  type: z.literal('ack'),
  ...reply,
  status: z.literal('sent'),
  clientMsgId: clientMsgIdSchema,
  threadId: threadIdSchema,
  seq: seqSchema,
  messageId: messageIdSchema,
  sentAt: epochMillisSchema,
});

/** A message to every connection of every member but the sending one. */
export const messageServerFrame = z.object({ type: z.literal('message'), threadId: threadIdSchema, ...threadMessageSchema.shape });

/** Another member's cumulative receipt: everything up to `seq`. */
export const receiptServerFrame = z.object({
  type: z.literal('receipt'),
  threadId: threadIdSchema,
  userId: userIdSchema,
  seq: seqSchema,
  status: receiptStatusSchema,
});

/** A thread's membership: the reply to a group action and the event to every member. */
export const threadServerFrame = z.object({
  type: z.literal('thread'),
  ...reply,
  threadId: threadIdSchema,
  kind: threadKindSchema,
  name: z.optional(z.string()),
  members: z.array(userIdSchema),
  admins: z.array(userIdSchema),
  /** Groups: what members added later may read. */
  historyForNewMembers: z.optional(historyForNewMembersSchema),
});

/** One of the caller's threads in `listThreads`, with the caller's own receipts. */
export const threadListingSchema = z.object({
  threadId: threadIdSchema,
  kind: threadKindSchema,
  name: z.optional(z.string()),
  members: z.array(userIdSchema),
  lastSeq: seqOrZeroSchema,
  deliveredSeq: seqOrZeroSchema,
  readSeq: seqOrZeroSchema,
  lastMessage: z.optional(z.object({ seq: seqSchema, senderId: userIdSchema, text: textSchema, sentAt: epochMillisSchema })),
  /** Present while the thread is a message request the caller has not accepted. */
  request: z.optional(z.literal(true)),
});
export type ThreadListing = z.infer<typeof threadListingSchema>;

export const threadsServerFrame = z.object({
  type: z.literal('threads'),
  ...reply,
  threads: z.array(threadListingSchema),
  /** Present when more threads follow: pass it back as `cursor`. */
  cursor: z.optional(z.string()),
});

export const messagesServerFrame = z.object({
  type: z.literal('messages'),
  ...reply,
  threadId: threadIdSchema,
  messages: z.array(threadMessageSchema),
  hasMore: z.boolean(),
});

export const userPresenceSchema = z.object({
  userId: userIdSchema,
  status: presenceStatusSchema,
  lastSeen: z.optional(epochMillisSchema),
});
export type UserPresence = z.infer<typeof userPresenceSchema>;

/** The reply to `subscribePresence` (with `reqId`), and every later change (without). */
export const presenceServerFrame = z.object({ type: z.literal('presence'), ...reply, users: z.array(userPresenceSchema) });

export const typingServerFrame = z.object({
  type: z.literal('typing'),
  threadId: threadIdSchema,
  userId: userIdSchema,
  state: typingStateSchema,
});

/** The replies to `blockUser` and `unblockUser`. */
export const blockedServerFrame = z.object({ type: z.literal('blocked'), ...reply, userId: userIdSchema });
export const unblockedServerFrame = z.object({ type: z.literal('unblocked'), ...reply, userId: userIdSchema });
/** The reply to `listBlocks`: the users the caller has blocked, a page at a time. */
export const blocksServerFrame = z.object({ type: z.literal('blocks'), ...reply, userIds: z.array(userIdSchema), cursor: z.optional(z.string()) });
/** The replies to `acceptRequest` and `declineRequest`. */
export const requestAcceptedServerFrame = z.object({ type: z.literal('requestAccepted'), ...reply, threadId: threadIdSchema });
export const requestDeclinedServerFrame = z.object({ type: z.literal('requestDeclined'), ...reply, threadId: threadIdSchema });

export const pushRegisteredServerFrame = z.object({ type: z.literal('pushRegistered'), ...reply });
export const pushUnregisteredServerFrame = z.object({ type: z.literal('pushUnregistered'), ...reply });
/** The caller's settings: the reply to `getSettings` and to `updateSettings` (as they now are). */
export const settingsServerFrame = z.object({
  type: z.literal('settings'),
  ...reply,
  activeStatus: z.boolean(),
  pushPreviews: z.boolean(),
  presenceAudience: presenceAudienceSchema,
  requestNotifications: z.boolean(),
});
export type UserSettings = Omit<z.infer<typeof settingsServerFrame>, 'type' | 'reqId'>;
export const pongServerFrame = z.object({ type: z.literal('pong'), ...reply });
/** The reply to `renewToken`: the connection now lasts until `expiresAt` (the new token's `exp`, epoch ms). */
export const tokenRenewedServerFrame = z.object({ type: z.literal('tokenRenewed'), ...reply, expiresAt: epochMillisSchema });

/**
 * `message` is for people and never carries internal details. `retryAfterMs` may come with
 * `rate_limited`: the least wait after which the same frame fits the sender's budget again.
 */
export const errorServerFrame = z.object({
  type: z.literal('error'),
  ...reply,
  code: errorCodeSchema,
  message: z.string(),
  retryAfterMs: z.optional(z.int().check(z.nonnegative())),
});

/** Every server frame by its type. */
export const serverFrames = {
  ack: ackServerFrame,
  message: messageServerFrame,
  receipt: receiptServerFrame,
  thread: threadServerFrame,
  threads: threadsServerFrame,
  messages: messagesServerFrame,
  presence: presenceServerFrame,
  typing: typingServerFrame,
  blocked: blockedServerFrame,
  unblocked: unblockedServerFrame,
  blocks: blocksServerFrame,
  requestAccepted: requestAcceptedServerFrame,
  requestDeclined: requestDeclinedServerFrame,
  pushRegistered: pushRegisteredServerFrame,
  pushUnregistered: pushUnregisteredServerFrame,
  settings: settingsServerFrame,
  pong: pongServerFrame,
  tokenRenewed: tokenRenewedServerFrame,
  error: errorServerFrame,
} as const;

export type ServerFrameType = keyof typeof serverFrames;
export type ServerFrameOf<Type extends ServerFrameType> = z.infer<(typeof serverFrames)[Type]>;
export type ServerFrame = { [Type in ServerFrameType]: ServerFrameOf<Type> }[ServerFrameType];

export type ParsedServerFrame =
  | { readonly kind: 'frame'; readonly frame: ServerFrame }
  /** A type this version does not know: a newer server's extension, to be ignored. */
  | { readonly kind: 'unknown'; readonly type: string }
  /**
   * API Gateway's own reply when the function behind a route failed (an error or a timeout), as
   * `{"message":"Internal server error","connectionId":…,"requestId":…}`: no `type`, no `reqId`.
   */
  | { readonly kind: 'gatewayError'; readonly message: string }
  | { readonly kind: 'invalid'; readonly problem: string };

/** Reads one text frame from the server: JSON, a known `type`, and that type's schema. */
export function parseServerFrame(text: string): ParsedServerFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problem: 'not JSON' };
  }
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') {
    const message = typeof value === 'object' && value !== null ? (value as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? { kind: 'gatewayError', message } : { kind: 'invalid', problem: 'no type' };
  }
  if (!Object.hasOwn(serverFrames, type)) return { kind: 'unknown', type };
  const parsed = serverFrames[type as ServerFrameType].safeParse(value);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    return { kind: 'invalid', problem: `${type} frame: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim() };
  }
  return { kind: 'frame', frame: parsed.data as ServerFrame };
}
