import { z } from 'zod';

/** User ids (a token's `sub`) and device ids: 1-64 characters of `[A-Za-z0-9_-]`. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const userIdSchema = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
export const deviceIdSchema = userIdSchema;

/** Who is on the other end of a connection, as the authorizer established it. */
export interface Caller {
  readonly userId: string;
  readonly connectionId: string;
}
