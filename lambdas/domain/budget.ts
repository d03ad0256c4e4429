import { MessengerError } from './errors';

/**
 * Every client frame is paid for from its user's budget, in units of about a millionth of a
 * dollar of what the frame makes AWS do (a WebSocket message in or out, a Lambda invocation, a
 * DynamoDB write or a few reads: each roughly one unit at list prices, docs/benchmark.md). Each
 * budget is a bucket that refills at a steady rate up to its burst; a frame that finds too little
 * in it is refused with `rate_limited` and `retryAfterMs`, before it writes anything.
 */
export interface BudgetLimit {
  /** Units the bucket refills each second. */
  readonly perSecond: number;
  /** Units it holds at most: the largest burst, and the largest single charge. */
  readonly burst: number;
}

/** The budgets of a user, each kept apart. */
export type BudgetName = 'actions' | 'sends' | 'acks' | 'groupsCreated' | 'membersAdded';

/** Groups a user may create an hour, unless the stack sets another number (`-c messenger:groupsCreatedPerHour`). */
export const DEFAULT_GROUPS_CREATED_PER_HOUR = 20;

/** Each budget's limit. */
export type BudgetLimits = Readonly<Record<BudgetName, BudgetLimit>>;

/**
 * docs/protocol.md, "Budgets and caps". Three budgets pay in units, each for its own frames, so
 * that none can starve another: a user reading a busy group (acks) or browsing (actions) keeps
 * every send the contract allows. At all three limits at once, the worst user costs
 * 100 + 300 + 40 = 440 units a second, about $1.58 an hour (1 unit is about $1e-6; 3,600 s). The
 * margin to $2 is for frames that cost more than their weight: docs/benchmark.md measured a 1:1
 * send at about $1.4e-6 a unit, so 20 sends a second alone are about $1.48 an hour.
 *
 * - `actions` (every frame but sends and acks, handshakes included): 100 units a second, about
 *   $0.36 an hour. Its burst holds about four creations of, or removals from, a 1024-member group
 *   (about 3,100 units each).
 * - `sends`: 300 units a second, about $1.08 an hour: the contract's 20 1:1 sends a second
 *   (15 units each) fit exactly, and more are refused by MESSAGES_SENT anyway. A group's message
 *   pays for its members too, so its burst holds about four sends into a 1024-member group.
 * - `acks`: 40 units a second, about $0.14 an hour. A receipt tells every other member (2 units
 *   each): a 1:1 thread's ack (7 units) about 6 times a second, or one in a 1024-member group
 *   (2,051 units) every 51 s; its burst holds about three of those. An ack that moves nothing is
 *   given back its members' part, and the SDK coalesces its automatic acks.
 *
 * The bursts add at most 12,000 + 12,000 + 6,000 units (about $0.03) once, not per hour.
 * `groupsCreated` and `membersAdded` count creations and members, not units: their cost is paid
 * from `actions`.
 */
export function budgetLimits({ groupsCreatedPerHour = DEFAULT_GROUPS_CREATED_PER_HOUR }: { readonly groupsCreatedPerHour?: number } = {}): BudgetLimits {
  return {
    actions: { perSecond: 100, burst: 12_000 },
    sends: { perSecond: 300, burst: 12_000 },
    acks: { perSecond: 40, burst: 6_000 },
    /** Groups created: 20 an hour by default, all of them at once if need be. */
    groupsCreated: { perSecond: groupsCreatedPerHour / 3600, burst: groupsCreatedPerHour },
    /** Members added, by createGroup or addMembers: 2,048 a minute (two full groups). */
    membersAdded: { perSecond: 2048 / 60, burst: 2048 },
  };
}

/** The budgets as a stack deploys them unless configured otherwise. */
export const BUDGETS = budgetLimits();

/** docs/protocol.md, "Sending": a user may send 20 messages a second, sustained; the excess is refused. */
export const MAX_SENDS_PER_SECOND = 20;

/**
 * Messages sent, counted beside the `sends` budget's units and charged in the same write: 20 a
 * second, sustained, and two seconds' worth at once. The contract limits a sustained rate, and a
 * client's evenly spaced sends reach the function in bunches (a network or a busy environment
 * holds some back), so a burst of one second's worth refused sends the contract allows.
 */
export const MESSAGES_SENT: BudgetLimit = { perSecond: MAX_SENDS_PER_SECOND, burst: 2 * MAX_SENDS_PER_SECOND };

/** Open connections a user may hold at once (docs/protocol.md, "Connecting"). */
export const MAX_CONNECTIONS_PER_USER = 20;

/**
 * Units of the frames whose cost does not grow with a group: the inbound message, the Lambda
 * invocation, the budget's own write and the reply (a ping measured about $5 a million in the
 * benchmark's abuse table). A frame of an action without a weight of its own, including one added
 * later, costs this.
 */
export const DEFAULT_FRAME_UNITS = 5;

/** Units per member a frame reaches: the member's connections looked up and posted to. */
export const UNITS_PER_MEMBER_TOLD = 2;

/**
 * Units per member of a message beyond a 1:1 thread's two: delivery (a lookup and a post), the
 * member's thread row moved by the relay, and a push request for an offline member.
 */
export const UNITS_PER_MESSAGE_RECIPIENT = 3;

/** Units per member written into a group: membership and thread-list rows, and the announcement. */
export const UNITS_PER_MEMBER_ADDED = 3;

/**
 * Each action's weight before it runs (what its frame says), in units; the part known only after
 * a read (a group's members) is charged by the action there, before it writes.
 */
export const ACTION_UNITS = {
  /** A handshake: the authorizer, \$connect (a count and a write), the presence change it makes, and later \$disconnect. */
  connect: 10,
  /** A 1:1 message end to end, from `sends`: commit, ack, delivery, relay, history and the staged copy's release. */
  sendMessage: 15,
  /** From `acks`, with the first other member told, beside the receipt's reads; a group's further members after them (UNITS_PER_MEMBER_TOLD each). */
  ack: 5,
  typing: DEFAULT_FRAME_UNITS,
  createGroup: 5,
  addMembers: 5,
  removeMember: 5,
  /** The caller's thread list and the page's heads read; the members and the reply by threadsPageUnits, after the reads. */
  listThreads: 10,
  /** The thread's head and the caller's membership read; the messages and the reply by messagesPageUnits, after the reads. */
  getMessages: DEFAULT_FRAME_UNITS,
  /** A page of up to 100 blocked users. */
  listBlocks: 10,
  /** And per user named, subscribePresenceUnits. */
  subscribePresence: DEFAULT_FRAME_UNITS,
  registerPush: 5,
  unregisterPush: 5,
  /** The pair's two items written in a transaction (twice the write units), measured about $9.7 a million in the abuse table. */
  blockUser: 10,
  /** The pair's items written back: about $7.9 a million. */
  unblockUser: 8,
  /** A token verified (the function's CPU): about $6 a million. */
  renewToken: 6,
} as const;

/**
 * A charge refused: when the budget will have room for it again, and what it ran out of (units,
 * or, for `sends`, messages: MESSAGES_SENT).
 */
export type BudgetVerdict = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterMs: number; readonly exceeded: 'units' | 'messages' };

/** Where the users' budgets are kept: one atomic charge per call, shared by every execution environment. */
export interface BudgetStore {
  /** The limits this store keeps each user's budgets within. */
  readonly limits: BudgetLimits;
  /**
   * Takes `units` from the user's named budget, and `messages` from their MESSAGES_SENT (only
   * with `sends`), if both hold them now; takes nothing otherwise.
   */
  charge(userId: string, budget: BudgetName, units: number, now: number, messages?: number): Promise<BudgetVerdict>;
  /** Gives back `units` (and `messages`) taken earlier (a charge that a later refusal made pointless). */
  refund(userId: string, budget: BudgetName, units: number, messages?: number): Promise<void>;
}

/** `rate_limited`, with when to try again. */
export class RateLimitedError extends MessengerError {
  constructor(
    message: string,
    public readonly retryAfterMs?: number,
  ) {
    super('rate_limited', message);
  }
}

const refusalOf = (budget: BudgetName, limits: BudgetLimits): string =>
  ({
    actions: 'you are doing too much too fast; slow down and retry after retryAfterMs',
    sends: 'your messages reach too many people too fast; slow down and retry after retryAfterMs',
    acks: 'you are sending receipts too fast; send the latest one after retryAfterMs',
    groupsCreated: `you may create ${limits.groupsCreated.burst} groups an hour; retry after retryAfterMs`,
    membersAdded: `you may add ${limits.membersAdded.burst} members a minute; retry after retryAfterMs`,
  })[budget];

const TOO_MANY_MESSAGES = `you are sending more than ${MAX_SENDS_PER_SECOND} messages a second; slow down and retry after retryAfterMs`;

/** One user's budgets, as an action sees them. */
export interface Purse {
  /**
   * Takes `units` from the named budget (`actions` by default), and `messages` from the messages
   * sent (`sends` only), or throws `rate_limited` and takes nothing.
   */
  spend(units: number, budget?: BudgetName, messages?: number): Promise<void>;
  /** Gives back units (and messages) spent earlier, for work that turned out not to be done. Never fails the action. */
  giveBack(units: number, budget?: BudgetName, messages?: number): Promise<void>;
}

/**
 * The caller's purse. A charge larger than its budget's burst could never fit, so it is refused
 * as a bad request rather than as one to retry.
 */
export function purseOf({ userId, store, clock }: { readonly userId: string; readonly store: BudgetStore; readonly clock: () => number }): Purse {
  return {
    async spend(units, budget = 'actions', messages = 0) {
      if (units <= 0 && messages <= 0) return;
      if (messages > 0 && budget !== 'sends') throw new Error(`messages are counted with the sends budget, not ${budget}`);
      const limit = store.limits[budget];
      if (units > limit.burst) throw new MessengerError('bad_request', `this request is larger than anyone may do at once (${budget}: ${Math.ceil(units)} of ${limit.burst})`);
      const verdict = await store.charge(userId, budget, Math.max(0, units), clock(), messages);
      if (!verdict.admitted) throw new RateLimitedError(verdict.exceeded === 'messages' ? TOO_MANY_MESSAGES : refusalOf(budget, store.limits), Math.ceil(verdict.retryAfterMs));
    },
    async giveBack(units, budget = 'actions', messages = 0) {
      if (units > 0 || messages > 0) await store.refund(userId, budget, Math.max(0, units), messages).catch(() => undefined);
    },
  };
}

/** Budgets that can be emptied at once: what a connection closed for flooding costs its user. */
export interface BudgetDrain {
  /** Empties the user's named budget and keeps it empty `forMs` longer; never shortens a wait already longer. */
  drain(userId: string, budget: BudgetName, forMs: number, now: number): Promise<void>;
}

/*
 * What a frame costs by what it reaches or reads, each action's formula in one place. Fractions of
 * a unit add up; a charge is rounded up to whole units.
 */

/** A createGroup frame's units, paid before it runs: every member written and told. */
export function createGroupUnits(base: number, members: readonly string[]): number {
  return base + UNITS_PER_MEMBER_ADDED * new Set(members).size;
}

/** Units of addMembers after the group is read: those added are written and told, those already in are told. */
export function addMembersUnits(added: number, alreadyIn: number): number {
  return UNITS_PER_MEMBER_ADDED * added + UNITS_PER_MEMBER_TOLD * alreadyIn;
}

/** Units of a change every member hears of (removeMember, updateGroup, a group declined), after the group is read. */
export function membersToldUnits(members: number): number {
  return UNITS_PER_MEMBER_TOLD * members;
}

/**
 * Units per KB a reply carries out: API Gateway meters messages in 32 KB steps, about $1 a million,
 * and a page reply is up to four of them.
 */
const UNITS_PER_KB_SENT = 1 / 32;

/** Units per KB read from history (a Keyspaces read unit, 4 KB, about $0.29 a million) or the staged copies. */
const UNITS_PER_KB_READ = 0.3 / 4;

/** A page of messages, after the reads, before the reply: every byte read, and every byte sent. */
export function messagesPageUnits({ bytesRead, bytesSent }: { readonly bytesRead: number; readonly bytesSent: number }): number {
  return Math.ceil((UNITS_PER_KB_READ * bytesRead + UNITS_PER_KB_SENT * bytesSent) / 1024);
}

/** Units per member row a thread page reads (strongly consistent, about 40 rows to a 4 KB read unit at $0.25 a million, rounded up). */
const UNITS_PER_MEMBER_LISTED = 0.01;

/** Units per thread head a thread page reads beyond its own (ACTION_UNITS.listThreads pays a page's: 10 for 20). */
const UNITS_PER_EXTRA_HEAD = 0.5;

/**
 * A page of threads, after the reads, before the reply: every member row read, every head read
 * beyond a page's (threads whose rows lag, list-threads.ts), and every byte sent.
 */
export function threadsPageUnits({ membersRead, bytesSent, headsRead = 0 }: { readonly membersRead: number; readonly bytesSent: number; readonly headsRead?: number }): number {
  return Math.ceil(UNITS_PER_MEMBER_LISTED * membersRead + UNITS_PER_EXTRA_HEAD * headsRead + (UNITS_PER_KB_SENT * bytesSent) / 1024);
}

/**
 * Units per presence frame posted when a setting changes (a subscriber's connection, or one of
 * the user's own): the post, and its share of the reads.
 */
const UNITS_PER_PRESENCE_POST = 2;

/** Units per user whose visibility a change decides again: their settings, blocks and status read. */
const UNITS_PER_USER_CHECKED = 0.5;

/**
 * An updateSettings that changes active status or the presence audience, after the user's
 * subscribers and watch lists are read and before the settings are written: every connection told,
 * and every user seen again.
 */
export function settingsChangeUnits({ connectionsTold, usersChecked }: { readonly connectionsTold: number; readonly usersChecked: number }): number {
  return Math.ceil(UNITS_PER_PRESENCE_POST * connectionsTold + UNITS_PER_USER_CHECKED * usersChecked);
}

/** Units per user a subscribePresence names: their settings, blocks and status read. */
const UNITS_PER_PRESENCE_USER_READ = 0.5;

/** A subscribePresence frame's units, paid before it runs: the frame and the reads of every user named. What it writes is presenceSubscriptionUnits. */
export function subscribePresenceUnits(userIds: readonly string[]): number {
  return Math.ceil(ACTION_UNITS.subscribePresence + UNITS_PER_PRESENCE_USER_READ * new Set(userIds).size);
}

/** Units per subscription written: one item. */
const UNITS_PER_SUBSCRIPTION_WRITTEN = 1;

/** Units per user in a watch list written again: the whole list is one item, written in a transaction (2 write units per KB). */
const UNITS_PER_WATCHED_ID_REWRITTEN = 0.1;

/**
 * What a subscribePresence writes, after the watch lists are read: a subscription per user new to
 * the connection, and, when there is any, the connection's whole watch list again. Users it
 * watches already are written nothing and cost nothing here.
 */
export function presenceSubscriptionUnits({ added, listSize }: { readonly added: number; readonly listSize: number }): number {
  if (added === 0) return 0;
  return Math.ceil(UNITS_PER_SUBSCRIPTION_WRITTEN * added + UNITS_PER_WATCHED_ID_REWRITTEN * listSize);
}
