import * as z from './schema';

/** User ids (a token's `sub`) and device ids: 1-64 characters of `[A-Za-z0-9_-]`. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const userIdSchema = z.string().check(z.regex(ID_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -'));
export const deviceIdSchema = userIdSchema;
