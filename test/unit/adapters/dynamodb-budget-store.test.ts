import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbBudgetStore } from '../../../lambdas/adapters/dynamodb-budget-store';
import { BUDGETS, MESSAGES_SENT } from '../../../lambdas/domain/budget';

const dynamodb = mockClient(DynamoDBDocumentClient);
const NOW = 1_764_000_000_000;
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** The condition failed, and DynamoDB returned the bucket as it was: `dueAt` as an attribute value. */
const bucketWas = (dueAt: number) => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { dueAt: { N: String(dueAt) } } as never });

beforeEach(() => dynamodb.reset());

describe('DynamoDbBudgetStore', () => {
  it('charges an idle bucket in one call', async () => {
    dynamodb.on(UpdateCommand).resolves({ Attributes: { dueAt: NOW + 500 } });
    const store = new DynamoDbBudgetStore(client, 'budgets', BUDGETS);
    await expect(store.charge('alice', 'groupsCreated', 1, NOW)).resolves.toEqual({ admitted: true });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('refuses with retryAfterMs, after one call, a charge the bucket has no room for', async () => {
    dynamodb.on(UpdateCommand).rejects(bucketWas(NOW + 10 * 3_600_000));
    const store = new DynamoDbBudgetStore(client, 'budgets', BUDGETS);
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
    const store = new DynamoDbBudgetStore(client, 'budgets', BUDGETS);
    await expect(store.charge('alice', 'membersAdded', 10, NOW)).resolves.toEqual({ admitted: false, retryAfterMs: 100, exceeded: 'units' });
    expect(calls).toBe(8);
  });

  // Sends were counted in a table of their own (a second write per send), and paid in units from the bucket acks drained.
  it("charges a send's units and its message in one conditional write of the sends item", async () => {
    dynamodb.on(UpdateCommand).resolves({ Attributes: { dueAt: NOW + 50, messagesDueAt: NOW + 50 } });
    const store = new DynamoDbBudgetStore(client, 'budgets', BUDGETS);
    await expect(store.charge('alice', 'sends', 15, NOW, 1)).resolves.toEqual({ admitted: true });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    const input = dynamodb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input).toMatchObject({ Key: { userId: 'alice', budget: 'sends' }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(input.UpdateExpression).toMatch(/dueAt = :now \+ :cost0.*messagesDueAt = :now \+ :cost1/);
    // 15 units at 300 a second, and one message at 20 a second.
    expect(input.ExpressionAttributeValues).toMatchObject({ ':cost0': 50, ':cost1': 50 });
  });

  it('tells a send refused for its message rate from one refused for its units, with the wait of the fuller bucket', async () => {
    const store = new DynamoDbBudgetStore(client, 'budgets', BUDGETS);
    const sent = (dueAt: number, messagesDueAt: number) =>
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { dueAt: { N: String(dueAt) }, messagesDueAt: { N: String(messagesDueAt) } } as never });
    // A full burst of messages this very moment: the next waits for one message's refill, 50 ms.
    dynamodb.on(UpdateCommand).rejectsOnce(sent(NOW, NOW + (MESSAGES_SENT.burst * 1000) / MESSAGES_SENT.perSecond));
    await expect(store.charge('alice', 'sends', 15, NOW, 1)).resolves.toEqual({ admitted: false, retryAfterMs: 50, exceeded: 'messages' });
    dynamodb.reset();
    dynamodb.on(UpdateCommand).rejectsOnce(sent(NOW + 40_000 + 1000, NOW));
    await expect(new DynamoDbBudgetStore(client, 'budgets', BUDGETS).charge('bob', 'sends', 15, NOW, 1)).resolves.toEqual({ admitted: false, retryAfterMs: 1050, exceeded: 'units' });
  });

  it('gives back units and messages together', async () => {
    dynamodb.on(UpdateCommand).resolves({});
    await new DynamoDbBudgetStore(client, 'budgets', BUDGETS).refund('alice', 'sends', 10, 1);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { userId: 'alice', budget: 'sends' },
      UpdateExpression: 'SET dueAt = dueAt - :cost0, messagesDueAt = messagesDueAt - :cost1',
      ConditionExpression: 'attribute_exists(dueAt) AND attribute_exists(messagesDueAt)',
    });
  });
});

describe('DynamoDbBudgetStore.drain', () => {
  it('empties the bucket for a burst’s refill and the cool-off, never moving an later dueAt back, and refuses without a call after', async () => {
    dynamodb.on(UpdateCommand).resolves({});
    const store = new DynamoDbBudgetStore(client, 'budgets', BUDGETS);
    await store.drain('mallory', 'actions', 10_000, NOW);
    // actions: a whole burst's refill time, then the cool-off.
    const dueAt = NOW + (BUDGETS.actions.burst * 1000) / BUDGETS.actions.perSecond + 10_000;
    expect(dynamodb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { userId: 'mallory', budget: 'actions' },
      ConditionExpression: 'attribute_not_exists(dueAt) OR dueAt < :dueAt',
      ExpressionAttributeValues: { ':dueAt': dueAt, ':expiresAt': Math.ceil(dueAt / 1000) + 60 },
    });
    await expect(store.charge('mallory', 'actions', 10, NOW + 9_000)).resolves.toMatchObject({ admitted: false });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('takes a failed condition (the bucket already emptied for longer) as done', async () => {
    dynamodb.on(UpdateCommand).rejects(bucketWas(NOW + 100_000));
    await expect(new DynamoDbBudgetStore(client, 'budgets', BUDGETS).drain('mallory', 'actions', 10_000, NOW)).resolves.toBeUndefined();
  });
});
