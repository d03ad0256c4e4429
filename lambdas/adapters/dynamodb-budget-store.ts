import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MESSAGES_SENT, type BudgetDrain, type BudgetLimit, type BudgetLimits, type BudgetName, type BudgetStore, type BudgetVerdict } from '../domain/budget';
import { conditionHeld } from './dynamodb-conditions';

/** Budgets remembered per execution environment; beyond this the memory is simply started afresh. */
const MAX_REMEMBERED_BUDGETS = 10_000;

/**
 * Attempts of one charge. Charges of a busy bucket do not conflict with each other (their
 * condition is a range, not a value), but a give-back can move the bucket back to idle while
 * others charge it, and then guesses keep missing: a flood of one user's frames at once, with
 * some refused and given back, met that under 3 attempts.
 */
const ATTEMPTS = 8;

/** A charge still racing the user's own concurrent frames after every attempt is refused for about this long. */
const CONTENDED_RETRY_AFTER_MS = 100;

/** One bucket of a budget's item: its attribute, its limit and what this charge takes from it. */
interface Meter {
  readonly kind: 'units' | 'messages';
  readonly attribute: 'dueAt' | 'messagesDueAt';
  /** Refill time of this charge, in ms. */
  readonly cost: number;
  /** The latest `dueAt` at which this charge still fits: one burst's refill time ahead of now, less the charge. */
  readonly latest: number;
}

/**
 * Each user's budgets as token buckets in the table of `lib/constructs/action-budgets.ts`, one item
 * per user and budget, kept as the generic cell rate algorithm keeps them: one number, `dueAt`
 * (epoch ms), the time at which the bucket would be full again. A charge of `units` moves it on by
 * their refill time; it fits while `dueAt` stays within one burst's refill time of now. The `sends`
 * item keeps a second bucket beside it, `messagesDueAt` (MESSAGES_SENT), so that a send's units and
 * its message are charged together. So a charge is one conditional UpdateItem, shared by every
 * execution environment, where each bucket it takes from is either:
 *
 * - idle (the bucket is full, `dueAt` passed): `dueAt = now + cost`;
 * - busy (`dueAt` ahead of now, and room left): `dueAt = dueAt + cost`.
 *
 * Which of the two applies is guessed from what this environment last saw of the bucket; a wrong
 * guess fails its condition, which returns the item as it is, so the second attempt knows (two
 * calls, not three), and so does a refusal: which bucket had no room, and until when. A refused
 * charge is that one failed call and writes nothing; a charge this environment already knows
 * cannot fit is refused without a call.
 */
export class DynamoDbBudgetStore implements BudgetStore, BudgetDrain {
  private readonly lastDueAt = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    readonly limits: BudgetLimits,
  ) {}

  async charge(userId: string, budget: BudgetName, units: number, now: number, messages = 0): Promise<BudgetVerdict> {
    const meters = metersOf(this.limits[budget], budget, units, messages, now);
    const { perSecond, burst } = this.limits[budget];
    // Once every bucket of the item would be full again, the item says nothing a missing one does not.
    const expiresAt = Math.ceil((now + Math.max((burst * 1000) / perSecond, messages > 0 ? (MESSAGES_SENT.burst * 1000) / MESSAGES_SENT.perSecond : 0)) / 1000) + 60;
    const keyOf = (meter: Meter) => `${userId}\n${budget}\n${meter.attribute}`;
    // `dueAt` only moves on (but for a refund): what this environment last saw is a floor, and a
    // flood that already found a bucket too full is refused without asking DynamoDB again.
    const known = meters.map((meter) => this.lastDueAt.get(keyOf(meter)) ?? 0);
    const refusal = refusalOf(meters, known);
    if (refusal) return refusal;
    let busy = known.map((dueAt) => dueAt > now);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const sets = [`expiresAt = :expiresAt`];
      const conditions: string[] = [];
      const values: Record<string, number> = { ':expiresAt': expiresAt, ':now': now };
      meters.forEach((meter, index) => {
        const [name, cost, latest] = [meter.attribute, `:cost${index}`, `:latest${index}`];
        values[cost] = meter.cost;
        if (busy[index]) {
          sets.push(`${name} = ${name} + ${cost}`);
          conditions.push(`(${name} > :now AND ${name} <= ${latest})`);
          values[latest] = meter.latest;
        } else {
          sets.push(`${name} = :now + ${cost}`);
          conditions.push(`(attribute_not_exists(${name}) OR ${name} <= :now)`);
        }
      });
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { userId, budget },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeValues: values,
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        for (const meter of meters) this.remember(keyOf(meter), Number(Attributes?.[meter.attribute] ?? now + meter.cost));
        return { admitted: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The document client leaves the exception's item as DynamoDB sent it: attribute values, not plain numbers.
        const item = error.Item as Record<string, { N?: string } | undefined> | undefined;
        const seen = meters.map((meter) => Number(item?.[meter.attribute]?.N ?? 0));
        meters.forEach((meter, index) => this.remember(keyOf(meter), seen[index]));
        const refused = refusalOf(meters, seen);
        if (refused) return refused;
        busy = seen.map((dueAt) => dueAt > now);
      }
    }
    // Nothing was taken: the user's own frames are racing for this bucket, so theirs is the wait.
    return { admitted: false, retryAfterMs: CONTENDED_RETRY_AFTER_MS, exceeded: 'units' };
  }

  async refund(userId: string, budget: BudgetName, units: number, messages = 0): Promise<void> {
    const meters = metersOf(this.limits[budget], budget, units, messages, 0);
    // A `dueAt` moved into the past only means a full bucket; a bucket gone is full already.
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId, budget },
          UpdateExpression: `SET ${meters.map((meter, index) => `${meter.attribute} = ${meter.attribute} - :cost${index}`).join(', ')}`,
          ConditionExpression: meters.map((meter) => `attribute_exists(${meter.attribute})`).join(' AND '),
          ExpressionAttributeValues: Object.fromEntries(meters.map((meter, index) => [`:cost${index}`, meter.cost])),
        }),
      ),
    );
    for (const meter of meters) this.lastDueAt.delete(`${userId}\n${budget}\n${meter.attribute}`);
  }

  async drain(userId: string, budget: BudgetName, forMs: number, now: number): Promise<void> {
    const { perSecond, burst } = this.limits[budget];
    // Empty (a whole burst's refill time ahead), and `forMs` more.
    const dueAt = now + (burst * 1000) / perSecond + forMs;
    // The user's own charges since, or an earlier drain, may have moved `dueAt` later still: kept.
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId, budget },
          UpdateExpression: 'SET dueAt = :dueAt, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(dueAt) OR dueAt < :dueAt',
          ExpressionAttributeValues: { ':dueAt': dueAt, ':expiresAt': Math.ceil(dueAt / 1000) + 60 },
        }),
      ),
    );
    this.remember(`${userId}\n${budget}\ndueAt`, dueAt);
  }

  private remember(key: string, dueAt: number): void {
    if (this.lastDueAt.size >= MAX_REMEMBERED_BUDGETS) this.lastDueAt.clear();
    this.lastDueAt.set(key, dueAt);
  }
}

/** The buckets a charge takes from: the budget's units, when any, and the messages sent, when any. */
function metersOf(limit: BudgetLimit, budget: BudgetName, units: number, messages: number, now: number): Meter[] {
  const meters: Meter[] = [];
  const add = (kind: Meter['kind'], attribute: Meter['attribute'], { perSecond, burst }: BudgetLimit, amount: number) => {
    const msPerAmount = 1000 / perSecond;
    const cost = amount * msPerAmount;
    meters.push({ kind, attribute, cost, latest: now + burst * msPerAmount - cost });
  };
  if (units > 0 || messages <= 0) add('units', 'dueAt', limit, units);
  if (messages > 0) {
    if (budget !== 'sends') throw new Error(`messages are counted with the sends budget, not ${budget}`);
    add('messages', 'messagesDueAt', MESSAGES_SENT, messages);
  }
  return meters;
}

/** The refusal of a charge whose buckets stand at `dueAts`: the longest wait of those with no room, or none when all have room. */
function refusalOf(meters: readonly Meter[], dueAts: readonly number[]): BudgetVerdict | undefined {
  let refusal: { admitted: false; retryAfterMs: number; exceeded: Meter['kind'] } | undefined;
  meters.forEach((meter, index) => {
    const wait = dueAts[index] - meter.latest;
    if (wait > 0 && (refusal === undefined || wait > refusal.retryAfterMs)) refusal = { admitted: false, retryAfterMs: wait, exceeded: meter.kind };
  });
  return refusal;
}
