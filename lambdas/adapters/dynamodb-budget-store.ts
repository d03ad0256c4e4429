import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BUDGETS, type BudgetDrain, type BudgetName, type BudgetStore, type BudgetVerdict } from '../domain/budget';
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

/**
 * Each user's budgets as token buckets in the table of `lib/constructs/action-budgets.ts`, one item
 * per user and budget, kept as the generic cell rate algorithm keeps them: one number, `dueAt`
 * (epoch ms), the time at which the bucket would be full again. A charge of `units` moves it on by
 * their refill time; it fits while `dueAt` stays within one burst's refill time of now. So a
 * charge is one conditional UpdateItem, shared by every execution environment:
 *
 * - idle (the bucket is full, `dueAt` passed): `dueAt = now + cost`;
 * - busy (`dueAt` ahead of now, and room left): `dueAt = dueAt + cost`.
 *
 * Which of the two applies is guessed from what this environment last saw of the bucket; a wrong
 * guess fails its condition, which returns the item as it is, so the second attempt knows (two
 * calls, not three). A refused charge is that one failed call and writes nothing; a charge this
 * environment already knows cannot fit is refused without a call.
 */
export class DynamoDbBudgetStore implements BudgetStore, BudgetDrain {
  private readonly lastDueAt = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async charge(userId: string, budget: BudgetName, units: number, now: number): Promise<BudgetVerdict> {
    const { perSecond, burst } = BUDGETS[budget];
    const msPerUnit = 1000 / perSecond;
    const cost = units * msPerUnit;
    // The latest `dueAt` at which this charge still fits: one burst's refill time ahead, less the charge.
    const latest = now + burst * msPerUnit - cost;
    // Once the bucket would be full again, the item says nothing a missing one does not.
    const expiresAt = Math.ceil((now + burst * msPerUnit) / 1000) + 60;
    const key = `${userId}\n${budget}`;
    const known = this.lastDueAt.get(key) ?? 0;
    // `dueAt` only moves on (but for a refund): what this environment last saw is a floor, and a
    // flood that already found the bucket too full is refused without asking DynamoDB again.
    if (known > latest) return { admitted: false, retryAfterMs: known - latest };
    let busy = known > now;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { userId, budget },
            ...(busy
              ? {
                  UpdateExpression: 'SET dueAt = dueAt + :cost, expiresAt = :expiresAt',
                  ConditionExpression: 'dueAt > :now AND dueAt <= :latest',
                  ExpressionAttributeValues: { ':cost': cost, ':now': now, ':latest': latest, ':expiresAt': expiresAt },
                }
              : {
                  UpdateExpression: 'SET dueAt = :dueAt, expiresAt = :expiresAt',
                  ConditionExpression: 'attribute_not_exists(dueAt) OR dueAt <= :now',
                  ExpressionAttributeValues: { ':dueAt': now + cost, ':now': now, ':expiresAt': expiresAt },
                }),
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.remember(key, Number(Attributes?.dueAt ?? now + cost));
        return { admitted: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The document client leaves the exception's item as DynamoDB sent it: attribute values, not plain numbers.
        const dueAt = Number(error.Item?.dueAt?.N ?? 0);
        this.remember(key, dueAt);
        if (dueAt > latest) return { admitted: false, retryAfterMs: dueAt - latest };
        busy = dueAt > now;
      }
    }
    // Nothing was taken: the user's own frames are racing for this bucket, so theirs is the wait.
    return { admitted: false, retryAfterMs: CONTENDED_RETRY_AFTER_MS };
  }

  async refund(userId: string, budget: BudgetName, units: number): Promise<void> {
    const cost = (units * 1000) / BUDGETS[budget].perSecond;
    // A `dueAt` moved into the past only means a full bucket; a bucket gone is full already.
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId, budget },
          UpdateExpression: 'SET dueAt = dueAt - :cost',
          ConditionExpression: 'attribute_exists(dueAt)',
          ExpressionAttributeValues: { ':cost': cost },
        }),
      ),
    );
    this.lastDueAt.delete(`${userId}\n${budget}`);
  }

  async drain(userId: string, budget: BudgetName, forMs: number, now: number): Promise<void> {
    const { perSecond, burst } = BUDGETS[budget];
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
    this.remember(`${userId}\n${budget}`, dueAt);
  }

  private remember(key: string, dueAt: number): void {
    if (this.lastDueAt.size >= MAX_REMEMBERED_BUDGETS) this.lastDueAt.clear();
    this.lastDueAt.set(key, dueAt);
  }
}
