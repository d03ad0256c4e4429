/**
 * The fields that frames of both directions share. Plain zod/mini and nothing else, so the SDK can
 * bundle it for browsers; the Lambdas load zod's English messages themselves (`lambdas/domain/schema.ts`).
 */
import * as z from 'zod/mini';

/** User ids (a token's `sub`) and device ids: 1-64 characters of `[A-Za-z0-9_-]`. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const userIdSchema = z.string().check(z.regex(ID_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -'));
export const deviceIdSchema = userIdSchema;

/** Chosen by the client; the direct reply echoes it. */
export const reqIdSchema = z.string().check(z.minLength(1), z.maxLength(64));
export const threadIdSchema = z.string().check(z.minLength(1, 'must be 1-128 characters'), z.maxLength(128, 'must be 1-128 characters'));
/** The sender's idempotency key of a message. */
export const clientMsgIdSchema = z.string().check(z.minLength(1, 'must be 1-64 characters'), z.maxLength(64, 'must be 1-64 characters'));
export const messageIdSchema = z.string().check(z.minLength(1), z.maxLength(64));

/** Characters as people count them (code points), not UTF-16 units. */
export const MAX_TEXT_LENGTH = 4000;
export const textSchema = z.string().check(
  z.refine((text) => {
    const length = [...text].length;
    return length >= 1 && length <= MAX_TEXT_LENGTH;
  }, `must be 1-${MAX_TEXT_LENGTH} characters`),
);

/** A message's place in its thread: 1, 2, 3, ... */
export const seqSchema = z.int().check(z.positive());
/** A position in a thread that may precede every message (0). */
export const seqOrZeroSchema = z.int().check(z.nonnegative());
/** Server clock, epoch milliseconds. */
export const epochMillisSchema = z.int().check(z.nonnegative());

export const receiptStatusSchema = z.enum(['delivered', 'read']);
export type ReceiptStatus = z.infer<typeof receiptStatusSchema>;
export const typingStateSchema = z.enum(['start', 'stop']);
export type TypingState = z.infer<typeof typingStateSchema>;
/**
 * Who may see a user's presence (the `presenceAudience` setting): `everyone` by default, as the
 * contract's subscribePresence answers anyone's state; `threads`, only people who share an
 * accepted thread with them.
 */
export const presenceAudienceSchema = z.enum(['everyone', 'threads']);
export type PresenceAudienceSetting = z.infer<typeof presenceAudienceSchema>;

export const pushPlatformSchema = z.enum(['apns', 'fcm']);
export type PushPlatform = z.infer<typeof pushPlatformSchema>;
export const threadKindSchema = z.enum(['dm', 'group']);
export type ThreadKind = z.infer<typeof threadKindSchema>;
export const presenceStatusSchema = z.enum(['online', 'offline']);
export type PresenceStatus = z.infer<typeof presenceStatusSchema>;
export const historyForNewMembersSchema = z.enum(['all', 'sinceJoined']);
export type HistoryForNewMembersSetting = z.infer<typeof historyForNewMembersSchema>;
