import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbPresenceStatuses, DynamoDbPresenceSubscriptions } from '../../../lambdas/adapters/dynamodb-presence';

const dynamodb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const statuses = new DynamoDbPresenceStatuses(client, 'statuses');
const subscriptions = new DynamoDbPresenceSubscriptions(client, 'subscriptions');

beforeEach(() => dynamodb.reset());

const alreadySo = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: item as never } : {}) });

describe('DynamoDbPresenceStatuses', () => {
  it("reads the users' statuses strongly consistently, so that a change recorded before the read is in the answer", async () => {
    dynamodb.on(BatchGetCommand).resolves({ Responses: { statuses: [{ userId: 'bob', status: 'offline', lastSeen: 5 }] } });

    expect(await statuses.statusesOf(['bob'])).toEqual([{ userId: 'bob', status: 'offline', lastSeen: 5 }]);

    const [read] = dynamodb.commandCalls(BatchGetCommand).map((call) => call.args[0].input);
    expect(read.RequestItems).toEqual({ statuses: { Keys: [{ userId: 'bob' }], ConsistentRead: true } });
  });

  it('records a changed status as pending publication, with the version it made', async () => {
    dynamodb.on(UpdateCommand).resolves({ Attributes: { version: 4 } });

    expect(await statuses.recordStatus({ userId: 'bob', status: 'offline', lastSeen: 9 }, 10)).toEqual({
      presence: { userId: 'bob', status: 'offline', lastSeen: 9 },
      version: 4,
    });
    const [update] = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#status) OR #status <> :status',
      ExpressionAttributeValues: { ':status': 'offline', ':lastSeen': 9, ':pending': true, ':one': 1, ':now': 10 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('returns the earlier transition when the status was already so but its publication was never confirmed, and nothing once it was', async () => {
    const stored = { userId: { S: 'bob' }, status: { S: 'offline' }, lastSeen: { N: '7' }, version: { N: '3' } };
    dynamodb.on(UpdateCommand).rejectsOnce(alreadySo({ ...stored, publishPending: { BOOL: true } })).rejectsOnce(alreadySo(stored));

    expect(await statuses.recordStatus({ userId: 'bob', status: 'offline', lastSeen: 9 }, 10)).toEqual({
      presence: { userId: 'bob', status: 'offline', lastSeen: 7 },
      version: 3,
    });
    expect(await statuses.recordStatus({ userId: 'bob', status: 'offline', lastSeen: 9 }, 10)).toBeUndefined();
  });

  it('confirms a publication only while no later change has replaced it', async () => {
    dynamodb.on(UpdateCommand).rejects(alreadySo());

    await expect(statuses.confirmPublished({ presence: { userId: 'bob', status: 'online' }, version: 3 })).resolves.toBeUndefined();

    const [update] = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({ Key: { userId: 'bob' }, UpdateExpression: 'REMOVE publishPending', ConditionExpression: '#version = :version', ExpressionAttributeValues: { ':version': 3 } });
  });
});

describe('DynamoDbPresenceSubscriptions', () => {
  it("finds a user's subscribers with a strongly consistent Query of the base table, so that a subscription written before is found", async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [{ connectionId: 'a1=', subscriberUserId: 'alice' }] });

    expect(await subscriptions.subscribersOf('bob')).toEqual([{ connectionId: 'a1=', userId: 'alice' }]);

    const [query] = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(query).toMatchObject({ TableName: 'subscriptions', ConsistentRead: true, KeyConditionExpression: 'watchedUserId = :watched' });
    expect(query.IndexName).toBeUndefined();
  });
});

describe('DynamoDbPresenceSubscriptions.subscribe', () => {
  const caps = { perConnection: 1000, perUser: 3000 };
  const subscriber = { userId: 'alice', connectionId: 'a1=' };
  /** Alice's watch lists: connection a1= watches `watched`. */
  const listsOf = (watched: string[]) => ({
    Items: [
      { watchedUserId: '#watching#alice', connectionId: '#head#alice', version: 3 },
      { watchedUserId: '#watching#alice', connectionId: 'a1=', watched: new Set(watched), version: 2, expiresAt: 9e9 },
    ],
  });

  // Every requested user was written again, and the whole list with them, whatever was watched already.
  it('plans, then writes only the users new to the connection; for users all watched already, nothing', async () => {
    dynamodb.on(QueryCommand).resolves(listsOf(['bob', 'carol']));
    dynamodb.on(TransactWriteCommand).resolves({});
    dynamodb.on(BatchWriteCommand).resolves({});
    const plans: unknown[] = [];
    const beforeWrite = async (plan: unknown) => void plans.push(plan);

    await subscriptions.subscribe(subscriber, ['bob', 'carol'], 9e9, caps, beforeWrite);
    expect(plans).toEqual([{ added: 0, listSize: 2 }]);
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(BatchWriteCommand)).toHaveLength(0);

    await subscriptions.subscribe(subscriber, ['bob', 'dave'], 9e9, caps, beforeWrite);
    expect(plans[1]).toEqual({ added: 1, listSize: 3 });
    const [batch] = dynamodb.commandCalls(BatchWriteCommand).map((call) => call.args[0].input);
    expect(batch.RequestItems!.subscriptions.map((request) => request.PutRequest!.Item!.watchedUserId)).toEqual(['dave']);
  });

  it('writes nothing when beforeWrite refuses (over budget)', async () => {
    dynamodb.on(QueryCommand).resolves(listsOf([]));
    await expect(subscriptions.subscribe(subscriber, ['bob'], 9e9, caps, async () => Promise.reject(new Error('over budget')))).rejects.toThrow('over budget');
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('takes the new users off the list again when their subscriptions cannot be written, so that a retry writes them', async () => {
    dynamodb.on(QueryCommand).resolves(listsOf(['bob']));
    dynamodb.on(TransactWriteCommand).resolves({});
    dynamodb.on(BatchWriteCommand).rejects(new Error('throttled'));
    dynamodb.on(UpdateCommand).resolves({});
    await expect(subscriptions.subscribe(subscriber, ['bob', 'erin'], 9e9, caps)).rejects.toThrow('throttled');
    const [unlist] = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(unlist).toMatchObject({ Key: { watchedUserId: '#watching#alice', connectionId: 'a1=' }, UpdateExpression: 'DELETE watched :users ADD version :one' });
    expect(unlist.ExpressionAttributeValues![':users']).toEqual(new Set(['erin']));
  });
});
