import * as z from './schema';
import { pushPlatformSchema, userIdSchema, type PushPlatform } from '../../protocol/fields';

export type { PushPlatform };

/** Longest message preview a notification carries. */
export const PUSH_PREVIEW_LENGTH = 100;

const recipientsSchema = z.array(userIdSchema).check(z.maxLength(1024));

/**
 * What the sending side publishes to the push topic: one message for a batch of offline recipients.
 * `requestRecipients` hold the thread by a message request (not yet accepted): each is pushed only
 * when their `requestNotifications` setting is on (the default), which the push function reads.
 */
export const pushRequestSchema = z
  .object({
    recipients: recipientsSchema,
    requestRecipients: z.optional(recipientsSchema),
    senderId: userIdSchema,
    threadId: z.string().check(z.minLength(1), z.maxLength(128)),
    seq: z.int().check(z.positive()),
    preview: z.string().check(z.maxLength(PUSH_PREVIEW_LENGTH)),
  })
  .check(z.refine((request) => request.recipients.length + (request.requestRecipients?.length ?? 0) > 0, 'names no recipient'));
export type PushRequest = z.infer<typeof pushRequestSchema>;

/** A device registered for push, as the device registry keeps it. */
export interface PushDevice {
  readonly userId: string;
  /** Identifies the device registration within its user: platform and a hash of the token. */
  readonly deviceKey: string;
  readonly platform: PushPlatform;
  readonly token: string;
  /** The SNS platform endpoint that delivers to this device. */
  readonly endpointArn: string;
}

/** What a notification with previews off shows, whatever was written: no sender, no text. */
export const GENERIC_ALERT = 'New message';

/** What a notification shows and carries to the app. */
export interface PushNotification {
  readonly threadId: string;
  readonly seq: number;
  /**
   * Who wrote and what, for a recipient with previews on. Without it (previews off) the alert says
   * only GENERIC_ALERT and no field carries the sender or the text: the app reads the message once
   * opened.
   */
  readonly preview?: { readonly senderId: string; readonly text: string };
}

/** The notification of a request for one recipient, as their previews setting has it. */
export function notificationFor(request: Pick<PushRequest, 'senderId' | 'threadId' | 'seq' | 'preview'>, showPreview: boolean): PushNotification {
  const { threadId, seq } = request;
  return showPreview ? { threadId, seq, preview: { senderId: request.senderId, text: request.preview } } : { threadId, seq };
}

/** The outcome of one delivery attempt: `gone` means the push service will never deliver to the device again. */
export type PushOutcome = 'sent' | 'gone';

/** The preview a notification shows: the text cut to the preview length, by characters. */
export function pushPreview(text: string): string {
  const characters = [...text];
  return characters.length <= PUSH_PREVIEW_LENGTH ? text : `${characters.slice(0, PUSH_PREVIEW_LENGTH - 1).join('')}…`;
}

const boundedString = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** One delivery as the retry queue carries it (see `push-delivery.ts`), validated when it comes back. */
export const pushDeliverySchema = z.object({
  device: z.object({
    userId: userIdSchema,
    deviceKey: boundedString(256),
    platform: pushPlatformSchema,
    token: boundedString(4096),
    endpointArn: boundedString(1024),
  }),
  notification: z.object({
    threadId: boundedString(128),
    seq: z.int().check(z.positive()),
    preview: z.optional(z.object({ senderId: userIdSchema, text: z.string().check(z.maxLength(PUSH_PREVIEW_LENGTH)) })),
  }),
});
