import { ConditionalCheckFailedException, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { CONNECTION_LIST_KEY, DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { renewConnectionToken } from '../../../lambdas/domain/connections';

const dynamodb = mockClient(DynamoDBDocumentClient);
const registry = new DynamoDbConnectionRegistry(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'connections');

beforeEach(() => dynamodb.reset());

describe('DynamoDbConnectionRegistry', () => {
  it("reads every user's connection list strongly, 100 users a BatchGetItem, a user without a list having no connections", async () => {
    const users = Array.from({ length: 150 }, (_, index) => `u${index}`);
    dynamodb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Array<{ userId: string }> }> }) => ({
      Responses: {
        connections: input.RequestItems.connections.Keys.filter((key) => key.userId === 'u1' || key.userId === 'u120').map((key) => ({
          userId: key.userId,
          ...(key.userId === 'u1' ? { connectionIds: new Set(['a=', 'b=']) } : {}),
        })),
      },
    }));

    const found = await registry.connectionsOf(users);

    expect(found.size).toBe(150);
    expect(found.get('u1')).toEqual([
      { userId: 'u1', connectionId: 'a=' },
      { userId: 'u1', connectionId: 'b=' },
    ]);
    // A list emptied by its last connection's removal, and no list at all.
    expect(found.get('u120')).toEqual([]);
    expect(found.get('u0')).toEqual([]);
    const batches = dynamodb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!.connections);
    expect(batches.map((batch) => batch.Keys!.length)).toEqual([100, 50]);
    for (const batch of batches) {
      // Strongly: a connection opened just before a send must not be missed by a delivery that then marks the message delivered.
      expect(batch.ConsistentRead).toBe(true);
      for (const key of batch.Keys!) expect(key.connectionId).toBe(CONNECTION_LIST_KEY);
    }
  });

  it("lists a connection on its user's list before writing its record, and removes both when it closes", async () => {
    const journal: string[] = [];
    dynamodb.on(UpdateCommand).callsFake((input) => void journal.push(`${input.UpdateExpression} ${[...input.ExpressionAttributeValues[':connectionId']].join()} on ${input.Key.connectionId}`));
    dynamodb.on(PutCommand).callsFake((input) => void journal.push(`put ${input.Item.connectionId}`));
    dynamodb.on(DeleteCommand).callsFake((input) => void journal.push(`delete ${input.Key.connectionId}`));

    await registry.register({ userId: 'bob', connectionId: 'b1=', deviceId: 'phone', connectedAt: 1, lastActiveAt: 1, expiresAt: 601 });
    // A record never exists without its place on the list, which deliveries read.
    expect(journal).toEqual([`ADD connectionIds :connectionId b1= on ${CONNECTION_LIST_KEY}`, 'put b1=']);

    journal.length = 0;
    await registry.remove('bob', 'b1=');
    expect(journal.sort()).toEqual([`DELETE connectionIds :connectionId b1= on ${CONNECTION_LIST_KEY}`, 'delete b1=']);

    journal.length = 0;
    await registry.unlist({ userId: 'bob', connectionId: 'b2=' });
    expect(journal).toEqual([`DELETE connectionIds :connectionId b2= on ${CONNECTION_LIST_KEY}`]);
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
