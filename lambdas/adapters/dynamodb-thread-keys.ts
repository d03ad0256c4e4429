/**
 * Sort keys of the items in a thread's partition of the threads table (`lib/constructs/chat-store.ts`),
 * for every adapter that reads or writes them: one definition, so that none can drift.
 */

/** The thread's head: kind, name, lastSeq, counts and settings. */
export const META = 'meta';

/** Every membership item's sort key begins with this: a thread's members are a `begins_with` Query. */
export const MEMBER_KEY_PREFIX = 'member#';

/** The sort key of a user's membership item in a thread's partition. */
export const memberKey = (userId: string) => `${MEMBER_KEY_PREFIX}${userId}`;

/**
 * The item that marks how far the relay last moved the thread's member rows (`rowActivity`, epoch
 * ms): `$` sorts right after `#`, so it follows every membership and one Query reads both.
 */
export const ROW_ACTIVITY_KEY = 'member$rows';
