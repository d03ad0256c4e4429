/**
 * Frames from client to server: what the Lambdas validate every request with, and what the SDK
 * checks its own frames against before they leave.
 */
import * as z from 'zod/mini';
import {
  clientMsgIdSchema,
  historyForNewMembersSchema,
  presenceAudienceSchema,
  pushPlatformSchema,
  receiptStatusSchema,
  reqIdSchema,
  seqOrZeroSchema,
  seqSchema,
  textSchema,
  threadIdSchema,
  typingStateSchema,
  userIdSchema,
} from './fields';

/** What every client frame has: the action that routes it and an optional request id. */
export const frameEnvelopeSchema = z.object({
  action: z.string().check(z.minLength(1), z.maxLength(64)),
  reqId: z.optional(reqIdSchema),
});

export const sendMessageFrame = z
  .object({
    action: z.literal('sendMessage'),
    reqId: z.optional(reqIdSchema),
    clientMsgId: clientMsgIdSchema,
    to: z.optional(userIdSchema),
    threadId: z.optional(threadIdSchema),
    text: textSchema,
  })
  .check(z.refine((frame) => (frame.to === undefined) !== (frame.threadId === undefined), 'give exactly one of to and threadId'));

/** Largest page of `getMessages`, and the page without `limit`. */
export const MAX_MESSAGES_PAGE = 100;
export const DEFAULT_MESSAGES_PAGE = 50;

export const getMessagesFrame = z
  .object({
    action: z.literal('getMessages'),
    reqId: z.optional(reqIdSchema),
    threadId: threadIdSchema,
    afterSeq: z.optional(seqOrZeroSchema),
    beforeSeq: z.optional(seqSchema),
    limit: z._default(z.int().check(z.minimum(1, 'must be 1-100'), z.maximum(MAX_MESSAGES_PAGE, 'must be 1-100')), DEFAULT_MESSAGES_PAGE),
  })
  .check(z.refine((frame) => frame.afterSeq === undefined || frame.beforeSeq === undefined, 'give at most one of afterSeq and beforeSeq'));

const userIdListSchema = z.array(userIdSchema).check(z.minLength(1, 'must list 1-1024 users'), z.maxLength(1024, 'must list 1-1024 users'));

export const createGroupFrame = z.object({
  action: z.literal('createGroup'),
  reqId: z.optional(reqIdSchema),
  name: z.string().check(
    z.refine((name) => {
      const length = [...name.trim()].length;
      return length >= 1 && length <= 100;
    }, 'must be 1-100 characters'),
  ),
  members: userIdListSchema,
  /** What members added later may read. @default 'all' */
  historyForNewMembers: z.optional(historyForNewMembersSchema),
});

export const updateGroupFrame = z.object({
  action: z.literal('updateGroup'),
  reqId: z.optional(reqIdSchema),
  threadId: threadIdSchema,
  historyForNewMembers: historyForNewMembersSchema,
});

export const addMembersFrame = z.object({
  action: z.literal('addMembers'),
  reqId: z.optional(reqIdSchema),
  threadId: threadIdSchema,
  userIds: userIdListSchema,
});

export const removeMemberFrame = z.object({
  action: z.literal('removeMember'),
  reqId: z.optional(reqIdSchema),
  threadId: threadIdSchema,
  userId: userIdSchema,
});

export const receiptFrame = z.object({
  action: z.literal('ack'),
  reqId: z.optional(reqIdSchema),
  threadId: threadIdSchema,
  seq: seqSchema,
  status: receiptStatusSchema,
});

export const listThreadsFrame = z.object({
  action: z.literal('listThreads'),
  reqId: z.optional(reqIdSchema),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

const userActionFrame = <Name extends 'blockUser' | 'unblockUser'>(name: Name) =>
  z.object({ action: z.literal(name), reqId: z.optional(reqIdSchema), userId: userIdSchema });
export const blockUserFrame = userActionFrame('blockUser');
export const unblockUserFrame = userActionFrame('unblockUser');

export const listBlocksFrame = z.object({
  action: z.literal('listBlocks'),
  reqId: z.optional(reqIdSchema),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});

const requestActionFrame = <Name extends 'acceptRequest' | 'declineRequest'>(name: Name) =>
  z.object({ action: z.literal(name), reqId: z.optional(reqIdSchema), threadId: threadIdSchema });
export const acceptRequestFrame = requestActionFrame('acceptRequest');
export const declineRequestFrame = requestActionFrame('declineRequest');

export const pingFrame = z.object({ action: z.literal('ping'), reqId: z.optional(reqIdSchema) });

export const typingFrame = z.object({
  action: z.literal('typing'),
  reqId: z.optional(reqIdSchema),
  threadId: threadIdSchema,
  state: typingStateSchema,
});

/** Most user ids one `subscribePresence` may name. */
export const MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL = 500;
/**
 * Most users one connection may watch, and one user across all their connections. Only users the
 * caller may see (presenceAudience) are subscriptions; each is one stored item that
 * every change of the watched user reads.
 */
export const MAX_PRESENCE_SUBSCRIPTIONS_PER_CONNECTION = 1000;
export const MAX_PRESENCE_SUBSCRIPTIONS_PER_USER = 3000;

export const subscribePresenceFrame = z.object({
  action: z.literal('subscribePresence'),
  reqId: z.optional(reqIdSchema),
  userIds: z.array(userIdSchema).check(
    z.minLength(1, `must name 1-${MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL} users`),
    z.maxLength(MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL, `must name 1-${MAX_PRESENCE_SUBSCRIPTIONS_PER_CALL} users`),
  ),
});

/** Device tokens are opaque to us; APNs tokens are 64 hex characters, FCM's about 160. */
const pushTokenSchema = z.string().check(z.regex(/^\S{1,4096}$/, 'must be 1-4096 characters without spaces'));
const pushDeviceFrame = <Name extends 'registerPush' | 'unregisterPush'>(name: Name) =>
  z.object({ action: z.literal(name), reqId: z.optional(reqIdSchema), platform: pushPlatformSchema, token: pushTokenSchema });

export const registerPushFrame = pushDeviceFrame('registerPush');
export const unregisterPushFrame = pushDeviceFrame('unregisterPush');

/** The settings `updateSettings` may change. */
export const SETTING_NAMES = ['activeStatus', 'pushPreviews', 'presenceAudience', 'requestNotifications'] as const;

export const getSettingsFrame = z.object({ action: z.literal('getSettings'), reqId: z.optional(reqIdSchema) });

/** Changes the caller's settings; a setting left out keeps its value. */
export const updateSettingsFrame = z
  .object({
    action: z.literal('updateSettings'),
    reqId: z.optional(reqIdSchema),
    /** Whether those your presenceAudience lets in see you online (and you them); off hides you from everyone. */
    activeStatus: z.optional(z.boolean()),
    /** Whether push notifications show the sender and the text, or only "New message". */
    pushPreviews: z.optional(z.boolean()),
    /** Who may see your presence: `everyone` (the default) or `threads` (people who share an accepted thread with you). */
    presenceAudience: z.optional(presenceAudienceSchema),
    /** Whether a message request is pushed to your devices like any message (the default), or nothing until you accept it. */
    requestNotifications: z.optional(z.boolean()),
  })
  .check(
    z.refine(
      (frame) => SETTING_NAMES.some((name) => frame[name] !== undefined),
      `give at least one of ${SETTING_NAMES.join(', ')}`,
    ),
  );

/**
 * A fresh token for the connection, sent before the one it opened with (or last renewed with)
 * expires: the connection then lasts until the new one expires. Same user required.
 */
export const renewTokenFrame = z.object({
  action: z.literal('renewToken'),
  reqId: z.optional(reqIdSchema),
  token: z.string().check(z.minLength(1, 'must be a JWT'), z.maxLength(8192, 'must be at most 8192 characters')),
});

/** Every client frame by its action. */
export const clientFrames = {
  sendMessage: sendMessageFrame,
  ack: receiptFrame,
  createGroup: createGroupFrame,
  addMembers: addMembersFrame,
  removeMember: removeMemberFrame,
  updateGroup: updateGroupFrame,
  listThreads: listThreadsFrame,
  blockUser: blockUserFrame,
  unblockUser: unblockUserFrame,
  listBlocks: listBlocksFrame,
  acceptRequest: acceptRequestFrame,
  declineRequest: declineRequestFrame,
  getMessages: getMessagesFrame,
  subscribePresence: subscribePresenceFrame,
  typing: typingFrame,
  registerPush: registerPushFrame,
  unregisterPush: unregisterPushFrame,
  getSettings: getSettingsFrame,
  updateSettings: updateSettingsFrame,
  ping: pingFrame,
  renewToken: renewTokenFrame,
} as const;

export type ClientAction = keyof typeof clientFrames;
/** A client frame as it is written (optional fields, such as `limit`, may be left out). */
export type ClientFrameInput<Action extends ClientAction> = z.input<(typeof clientFrames)[Action]>;
/** A client frame as the server reads it, defaults applied. */
export type ClientFrame<Action extends ClientAction> = z.output<(typeof clientFrames)[Action]>;
