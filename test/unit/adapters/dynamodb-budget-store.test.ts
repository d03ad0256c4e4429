import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbBudgetStore } from '../../../lambdas/adapters/dynamodb-budget-store';

const dynamodb = mockClient(DynamoDBDocumentClient);
const NOW = 1_764_000_000_000;
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** The condition failed, and DynamoDB returned the bucket as it was: `dueAt` as an attribute value. */
const bucketWas = (dueAt: number) => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { dueAt: { N: String(dueAt) } } as never });

beforeEach(() => dynamodb.reset());

describe('DynamoDbBudgetStore', () => {
  it('charges an idle bucket in one call', async () => {
    dynamodb.on(UpdateCommand).resolves({ Attributes: { dueAt: NOW + 500 } });
    const store = new DynamoDbBudgetStore(client, 'budgets');
    await expect(store.charge('alice', 'groupsCreated', 1, NOW)).resolves.toEqual({ admitted: true });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('refuses with retryAfterMs, after one call, a charge the bucket has no room for', async () => {
    dynamodb.on(UpdateCommand).rejects(bucketWas(NOW + 10 * 3_600_000));
    const store = new DynamoDbBudgetStore(client, 'budgets');
    const verdict = await store.charge('alice', 'groupsCreated', 1, NOW);
    expect(verdict).toMatchObject({ admitted: false });
    expect(verdict.admitted === false && verdict.retryAfterMs).toBeGreaterThan(0);
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  // A flood of one user's createGroup frames at once, some given back, kept moving the bucket
  // between idle and busy under every guess: the charge answered `internal` (it threw) before.
  it('refuses briefly, and does not throw, a charge that keeps racing the same user’s frames', async () => {
    let calls = 0;
    // Each answer contradicts the guess it failed: busy when tried as idle, idle when tried as busy.
    dynamodb.on(UpdateCommand).callsFake(() => {
      calls += 1;
      throw bucketWas(calls % 2 === 1 ? NOW + 1 : NOW - 1);
    });
    const store = new DynamoDbBudgetStore(client, 'budgets');
    await expect(store.charge('alice', 'membersAdded', 10, NOW)).resolves.toEqual({ admitted: false, retryAfterMs: 100 });
    expect(calls).toBe(8);
  });
});
