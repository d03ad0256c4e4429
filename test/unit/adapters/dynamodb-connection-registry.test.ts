import { ConditionalCheckFailedException, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { renewConnectionToken } from '../../../lambdas/domain/connections';

const dynamodb = mockClient(DynamoDBDocumentClient);
const registry = new DynamoDbConnectionRegistry(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'connections');

beforeEach(() => dynamodb.reset());

describe('DynamoDbConnectionRegistry', () => {
  it("reads a user's live connections with one strongly consistent Query of the base table, leaving out stale ones", async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ userId: 'bob', connectionId: 'b1=' }] });

    expect(await registry.liveConnectionsOf('bob')).toEqual([{ userId: 'bob', connectionId: 'b1=' }]);

    const [query] = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    // Strongly: a connection opened just before a send must not be missed by a delivery that then marks the message delivered.
    expect(query).toMatchObject({ TableName: 'connections', ConsistentRead: true, KeyConditionExpression: 'userId = :userId', FilterExpression: 'expiresAt > :now' });
    expect(query.IndexName).toBeUndefined();
  });

  it("counts a user's live connections with strongly consistent Queries of the base table, over every page", async () => {
    dynamodb.on(QueryCommand).resolvesOnce({ Count: 2, LastEvaluatedKey: { userId: 'bob', connectionId: 'b2=' } }).resolvesOnce({ Count: 1 });

    expect(await registry.countLiveConnections('bob')).toBe(3);

    const queries = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(2);
    for (const query of queries) {
      expect(query).toMatchObject({ TableName: 'connections', ConsistentRead: true, KeyConditionExpression: 'userId = :userId', FilterExpression: 'expiresAt > :now' });
      expect(query.IndexName).toBeUndefined();
    }
  });

  it("records a renewed token's expiry, and drops the one recorded before when the new token outlives the connection", async () => {
    dynamodb.on(UpdateCommand).resolves({});
    const now = Date.now();
    const gateway = { isOpen: async () => true };
    const renew = (lifetime: number) =>
      renewConnectionToken({ userId: 'bob', connectionId: 'b1=', tokenExpiresAt: Math.floor(now / 1000) + lifetime, now, idleTimeoutSeconds: 600, registry, gateway });
    await renew(3600);
    await renew(24 * 3600);

    const [shortLived, outliving] = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(shortLived.UpdateExpression).toMatch(/tokenExpiresAt = :tokenExpiresAt/);
    expect(shortLived.ExpressionAttributeValues).toMatchObject({ ':tokenExpiresAt': Math.floor(now / 1000) + 3600 });
    // An expiry left from the token before would have the sweep close a renewed connection.
    expect(outliving.UpdateExpression).toMatch(/REMOVE tokenExpiresAt$/);
    expect(outliving.ExpressionAttributeValues).not.toHaveProperty(':tokenExpiresAt');
  });

  it('leaves a record refreshed lately as it is, for one failed condition rather than a write that moves its index entry, and tells it from a gone one', async () => {
    const record = { userId: 'bob', connectionId: 'b1=', deviceId: 'b1=', connectedAt: 1, lastActiveAt: 2_000, expiresAt: 602 };
    const failed = (Item?: Record<string, AttributeValue>) => new ConditionalCheckFailedException({ message: 'condition', $metadata: {}, ...(Item ? { Item } : {}) });
    dynamodb.on(UpdateCommand).rejectsOnce(failed({ expiresAt: { N: '560' } })).rejectsOnce(failed());

    expect(await registry.touch(record, 452)).toBe(true);
    expect(await registry.touch(record, 452)).toBe(false);

    const [update] = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({
      ConditionExpression: 'attribute_exists(connectionId) AND expiresAt < :freshExpiry',
      ExpressionAttributeValues: expect.objectContaining({ ':freshExpiry': 452, ':expiresAt': 602 }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('finds stale connections through the expiry index without asking for a consistent read, which a GSI refuses', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    for await (const _connection of registry.staleConnections(100)) {
      // None.
    }
    const queries = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(query.IndexName).toBe('byExpiry');
      expect(query.ConsistentRead).not.toBe(true);
    }
  });
});
