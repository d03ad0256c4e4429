import { ConditionalCheckFailedException, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { CONNECTION_LIST_KEY, DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { renewConnectionToken } from '../../../lambdas/domain/connections';

const dynamodb = mockClient(DynamoDBDocumentClient);
const registry = new DynamoDbConnectionRegistry(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'connections');

beforeEach(() => dynamodb.reset());

describe('DynamoDbConnectionRegistry', () => {
  it("reads every user's connection list strongly, 100 users a BatchGetItem, each user once; an emptied list has no connections", async () => {
    const users = Array.from({ length: 150 }, (_, index) => `u${index}`);
    dynamodb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Array<{ userId: string }> }> }) => ({
      Responses: {
        connections: input.RequestItems.connections.Keys.map((key) => ({ userId: key.userId, ...(key.userId === 'u1' ? { connectionIds: new Set(['a=', 'b=']) } : {}) })),
      },
    }));

    const found = await registry.connectionsOf([...users, 'u1']);

    expect(found.size).toBe(150);
    expect(found.get('u1')).toEqual([
      { userId: 'u1', connectionId: 'a=' },
      { userId: 'u1', connectionId: 'b=' },
    ]);
    expect(found.get('u120')).toEqual([]);
    const batches = dynamodb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!.connections);
    // u1 asked twice, read once: BatchGetItem refuses a key twice in a request.
    expect(batches.map((batch) => batch.Keys!.length)).toEqual([100, 50]);
    for (const batch of batches) {
      // Strongly: a connection opened just before a send must not be missed by a delivery that then marks the message delivered.
      expect(batch.ConsistentRead).toBe(true);
      for (const key of batch.Keys!) expect(key.connectionId).toBe(CONNECTION_LIST_KEY);
    }
    // Everyone had a list: nobody was adopted.
    expect(dynamodb.commandCalls(QueryCommand)).toEqual([]);
  });

  it('adopts a user without a list: their live connections from a strongly consistent Query of their records, and a list made of them, once', async () => {
    dynamodb.on(BatchGetCommand).resolves({ Responses: { connections: [] } });
    dynamodb.on(QueryCommand, { ExpressionAttributeValues: { ':userId': 'old' } }).resolves({ Items: [{ connectionId: 'o1=' }] });
    dynamodb.on(QueryCommand, { ExpressionAttributeValues: { ':userId': 'never' } }).resolves({ Items: [] });
    dynamodb.on(UpdateCommand).resolves({});

    const found = await registry.connectionsOf(['old', 'never']);

    expect(found.get('old')).toEqual([{ userId: 'old', connectionId: 'o1=' }]);
    expect(found.get('never')).toEqual([]);
    for (const query of dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input)) {
      expect(query).toMatchObject({ TableName: 'connections', ConsistentRead: true, KeyConditionExpression: 'userId = :userId', FilterExpression: 'expiresAt > :now' });
    }
    const lists = Object.fromEntries(dynamodb.commandCalls(UpdateCommand).map((call) => [call.args[0].input.Key!.userId, call.args[0].input]));
    // Made by ADD, which a registration racing it adds to; an empty one is made too, so the next lookup reads it.
    expect(lists.old).toMatchObject({ Key: { userId: 'old', connectionId: CONNECTION_LIST_KEY }, UpdateExpression: 'SET adoptedAt = if_not_exists(adoptedAt, :now) ADD connectionIds :connectionIds' });
    expect(lists.old.ExpressionAttributeValues![':connectionIds']).toEqual(new Set(['o1=']));
    expect(lists.never).toMatchObject({ Key: { userId: 'never', connectionId: CONNECTION_LIST_KEY }, UpdateExpression: 'SET adoptedAt = if_not_exists(adoptedAt, :now)' });
  });

  it("registers a connection being opened by its record, then its list; takes the record back if the list cannot be written", async () => {
    const journal: string[] = [];
    dynamodb.on(UpdateCommand).callsFake(async (input) => void journal.push(`${input.UpdateExpression} ${[...input.ExpressionAttributeValues[':connectionId']].join()} on ${input.Key.connectionId}`));
    dynamodb.on(PutCommand).callsFake(async (input) => void journal.push(`put ${input.Item.connectionId}`));
    dynamodb.on(DeleteCommand).callsFake(async (input) => void journal.push(`delete ${input.Key.connectionId}`));
    const record = { userId: 'bob', connectionId: 'b1=', deviceId: 'phone', connectedAt: 1, lastActiveAt: 1, expiresAt: 601 };

    await registry.register(record);
    // Listed first, a delivery's forget (the gateway answers 410 until $connect returns) could land before the record and leave it off the list.
    expect(journal).toEqual(['put b1=', `ADD connectionIds :connectionId b1= on ${CONNECTION_LIST_KEY}`]);

    journal.length = 0;
    dynamodb.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(registry.register(record)).rejects.toThrow('throttled');
    expect(journal).toEqual(['put b1=', 'delete b1=']);
  });

  it('registers again a connection the gateway holds open by its list first, so that its record is never off the list', async () => {
    const journal: string[] = [];
    dynamodb.on(UpdateCommand).callsFake(async (input) => void journal.push(`${input.UpdateExpression} on ${input.Key.connectionId}`));
    dynamodb.on(PutCommand).callsFake(async (input) => void journal.push(`put ${input.Item.connectionId}`));

    await registry.reinstate({ userId: 'bob', connectionId: 'b1=', deviceId: 'phone', connectedAt: 1, lastActiveAt: 1, expiresAt: 601 });

    expect(journal).toEqual([`ADD connectionIds :connectionId on ${CONNECTION_LIST_KEY}`, 'put b1=']);
  });

  it('removes a closed connection from its record and its list, never creating a list that would hide connections older than the lists', async () => {
    dynamodb.on(DeleteCommand).resolves({});
    dynamodb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no list', $metadata: {} }));

    await registry.remove('bob', 'b1=');
    await registry.unlist({ userId: 'bob', connectionId: 'b2=' });

    expect(dynamodb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([{ userId: 'bob', connectionId: 'b1=' }]);
    const deletes = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(deletes.map((update) => [update.UpdateExpression, update.ConditionExpression, [...update.ExpressionAttributeValues![':connectionId']]])).toEqual([
      ['DELETE connectionIds :connectionId', 'attribute_exists(userId)', ['b1=']],
      ['DELETE connectionIds :connectionId', 'attribute_exists(userId)', ['b2=']],
    ]);
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
