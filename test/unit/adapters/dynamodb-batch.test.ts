import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { batchGetAll } from '../../../lambdas/adapters/dynamodb-batch';

const dynamodb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

beforeEach(() => dynamodb.reset());

describe('batchGetAll', () => {
  it('reads any number of keys at most 100 a request, retries the keys DynamoDB left unprocessed, and passes the read options on', async () => {
    const stored = new Set(Array.from({ length: 250 }, (_, index) => `u${index}`).filter((userId) => userId !== 'u7'));
    let throttledOnce = false;
    dynamodb.on(BatchGetCommand).callsFake(async (input) => {
      const { Keys, ...options } = input.RequestItems.users;
      if (Keys.length > 100) throw new Error(`a BatchGetItem of ${Keys.length} keys; DynamoDB refuses more than 100`);
      expect(options).toEqual({ ConsistentRead: true, ProjectionExpression: 'userId' });
      const keys = Keys as Array<{ userId: string }>;
      // The first request gets half its keys back unprocessed, as DynamoDB does under throttling.
      const unprocessed = throttledOnce ? [] : keys.slice(50);
      throttledOnce = true;
      const answered = keys.slice(0, keys.length - unprocessed.length).filter(({ userId }) => stored.has(userId));
      return {
        Responses: { users: answered },
        ...(unprocessed.length > 0 ? { UnprocessedKeys: { users: { Keys: unprocessed, ...options } } } : {}),
      };
    });

    const keys = Array.from({ length: 250 }, (_, index) => ({ userId: `u${index}` }));
    const items = await batchGetAll(client, 'users', keys, { ConsistentRead: true, ProjectionExpression: 'userId' });

    expect(items.map((item) => item.userId).sort()).toEqual([...stored].sort());
    // 100 + 100 + 50 keys, and one more request for the 50 left unprocessed.
    expect(dynamodb).toHaveReceivedCommandTimes(BatchGetCommand, 4);
  });

  it('reads a large key list 16 batches at a time, not all at once', async () => {
    let inFlight = 0;
    let most = 0;
    dynamodb.on(BatchGetCommand).callsFake(async (input) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return { Responses: { users: input.RequestItems.users.Keys } };
    });

    const keys = Array.from({ length: 3_000 }, (_, index) => ({ userId: `u${index}` }));
    const items = await batchGetAll(client, 'users', keys);

    expect(items).toHaveLength(3_000);
    expect(dynamodb).toHaveReceivedCommandTimes(BatchGetCommand, 30);
    expect(most).toBe(16);
  });
});
