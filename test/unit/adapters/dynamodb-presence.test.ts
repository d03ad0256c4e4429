import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
