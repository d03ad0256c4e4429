import { userIdSchema } from '../identity';
import { reqIdSchema } from '../protocol';
import * as z from '../schema';

const threadIdSchema = z.string().check(z.minLength(1, 'must be 1-128 characters'), z.maxLength(128, 'must be 1-128 characters'));
const clientMsgIdSchema = z.string().check(z.minLength(1, 'must be 1-64 characters'), z.maxLength(64, 'must be 1-64 characters'));
/** Characters as people count them (code points), not UTF-16 units. */
const textSchema = z.string().check(
  z.refine((text) => {
    const length = [...text].length;
    return length >= 1 && length <= 4000;
  }, 'must be 1-4000 characters'),
);
const seqSchema = z.int().check(z.nonnegative());

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

export const getMessagesFrame = z
  .object({
    action: z.literal('getMessages'),
    reqId: z.optional(reqIdSchema),
    threadId: threadIdSchema,
    afterSeq: z.optional(seqSchema),
    beforeSeq: z.optional(seqSchema.check(z.positive())),
    limit: z._default(z.int().check(z.minimum(1, 'must be 1-100'), z.maximum(100, 'must be 1-100')), 50),
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
  seq: z.int().check(z.positive()),
  status: z.enum(['delivered', 'read']),
});

export const listThreadsFrame = z.object({
  action: z.literal('listThreads'),
  reqId: z.optional(reqIdSchema),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});
