import * as z from './schema';
import type { ErrorCode } from './errors';

export const reqIdSchema = z.string().check(z.minLength(1), z.maxLength(64));

/** What every client frame has: the action that routes it and an optional request id. */
export const frameEnvelopeSchema = z.object({
  action: z.string().check(z.minLength(1), z.maxLength(64)),
  reqId: z.optional(reqIdSchema),
});

export type ServerFrame = { readonly type: string; readonly reqId?: string } & Record<string, unknown>;

export function errorFrame(code: ErrorCode, message: string, reqId?: string): ServerFrame {
  return { type: 'error', ...(reqId === undefined ? {} : { reqId }), code, message };
}

/**
 * Best-effort extraction of `reqId` from a frame that may be invalid, so that even an error
 * reply can be matched to its request.
 */
export function reqIdOf(frame: unknown): string | undefined {
  if (typeof frame !== 'object' || frame === null) return undefined;
  const parsed = reqIdSchema.safeParse((frame as { reqId?: unknown }).reqId);
  return parsed.success ? parsed.data : undefined;
}

/** Describes a schema failure for people: the first problem, named by its field. */
export function describeIssues(error: z.core.$ZodError): string {
  const [issue] = error.issues;
  if (issue === undefined) return 'invalid frame';
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (!field) return issue.message;
  // Our own messages read on from the field's name ("text must be ..."); zod's stand apart.
  return issue.message.startsWith('must ') ? `${field} ${issue.message}` : `${field}: ${issue.message}`;
}
