import * as z from './schema';
import { userIdSchema } from '../../protocol/fields';

/** Messages of one thread per history partition: bounded partitions however long a thread gets. */
export const HISTORY_BUCKET_SIZE = 1000;

/** The history partition (bucket) that holds `seq` of a thread: seq 1-999 in 0, 1000-1999 in 1, ... */
export function historyBucketOf(seq: number): number {
  return Math.floor(seq / HISTORY_BUCKET_SIZE);
}

/** A message as it is made durable: on the queue to the persistence function, and in history. */
export const storedMessageSchema = z.object({
  threadId: z.string().check(z.minLength(1), z.maxLength(128)),
  seq: z.int().check(z.positive()),
  messageId: z.string().check(z.minLength(1), z.maxLength(64)),
  senderId: userIdSchema,
  clientMsgId: z.string().check(z.minLength(1), z.maxLength(64)),
  text: z.string().check(z.minLength(1), z.maxLength(4000)),
  sentAt: z.int().check(z.positive()),
});

export type StoredMessage = z.infer<typeof storedMessageSchema>;
