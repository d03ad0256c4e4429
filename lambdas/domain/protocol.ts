import * as z from './schema';
import type { ErrorCode } from './errors';
import { reqIdSchema } from '../../protocol/fields';

export type ServerFrame = { readonly type: string; readonly reqId?: string } & Record<string, unknown>;

/** An error frame; `retryAfterMs` goes with `rate_limited` when the server knows when a retry will fit. */
export function errorFrame(code: ErrorCode, message: string, reqId?: string, retryAfterMs?: number): ServerFrame {
  return { type: 'error', ...(reqId === undefined ? {} : { reqId }), code, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
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
