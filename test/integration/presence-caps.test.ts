import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbPresenceSubscriptions } from '../../lambdas/adapters/dynamodb-presence';
import { byLogicalId, standIns, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(60_000);

/** Small caps, so that the adapter's checks are seen without thousands of items; the deployed ones are the protocol's constants. */
const caps = { perConnection: 5, perUser: 8 };
let client: DynamoDBDocumentClient;
let table: string;
let subscriptions: DynamoDbPresenceSubscriptions;

beforeAll(async () => {
  const { dynamodb } = await standIns();
  client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  table = byLogicalId(dynamodb.tables, 'PresenceSubscriptions');
  subscriptions = new DynamoDbPresenceSubscriptions(client, table);
});
afterAll(() => client.destroy());

const expiresAt = () => Math.floor(Date.now() / 1000) + 3600;
const users = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

async function watchedBy(connectionId: string, watched: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const user of watched) {
    const { Items = [] } = await client.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'watchedUserId = :w AND connectionId = :c', ExpressionAttributeValues: { ':w': user, ':c': connectionId }, ConsistentRead: true }),
    );
    if (Items.length > 0) found.push(user);
  }
  return found;
}

describe('presence subscription caps against DynamoDB', () => {
  it('caps a connection, counting a user watched again once, and writes nothing past the cap', async () => {
    const subscriber = { userId: uniqueUser('alice'), connectionId: uniqueUser('c1') };
    const five = users(uniqueUser('w'), 5);
    expect(await subscriptions.subscribe(subscriber, five, expiresAt(), caps)).toEqual({ subscribed: true });
    expect(await subscriptions.subscribe(subscriber, five.slice(0, 3), expiresAt(), caps)).toEqual({ subscribed: true });
    const sixth = uniqueUser('sixth');
    expect(await subscriptions.subscribe(subscriber, [five[0]!, sixth], expiresAt(), caps)).toEqual({ over: 'connection', watching: 5 });
    expect(await watchedBy(subscriber.connectionId, [...five, sixth])).toEqual(five);
    expect(await subscriptions.watchedBy(subscriber.userId)).toEqual([{ connectionId: subscriber.connectionId, watched: expect.arrayContaining(five) }]);
  });

  it("caps a user across connections, and frees a connection's count when it ends or drops a user", async () => {
    const alice = uniqueUser('alice');
    const [c1, c2, c3] = ['c1', 'c2', 'c3'].map((name) => ({ userId: alice, connectionId: uniqueUser(name) }));
    expect(await subscriptions.subscribe(c1, users(uniqueUser('a'), 5), expiresAt(), caps)).toEqual({ subscribed: true });
    expect(await subscriptions.subscribe(c2, users(uniqueUser('b'), 3), expiresAt(), caps)).toEqual({ subscribed: true });
    const more = users(uniqueUser('c'), 1);
    expect(await subscriptions.subscribe(c3, more, expiresAt(), caps)).toEqual({ over: 'user', watching: 8 });
    expect(await watchedBy(c3.connectionId, more)).toEqual([]);

    const [dropped] = (await subscriptions.watchedBy(alice)).find(({ connectionId }) => connectionId === c2.connectionId)!.watched;
    await subscriptions.unsubscribe(c2, dropped!);
    expect(await subscriptions.subscribe(c3, more, expiresAt(), caps)).toEqual({ subscribed: true });
    expect(await subscriptions.subscribe(c3, users(uniqueUser('d'), 1), expiresAt(), caps)).toMatchObject({ over: 'user' });
    await subscriptions.endSubscriptionsOf(c1.connectionId);
    expect(await subscriptions.subscribe(c3, users(uniqueUser('e'), 4), expiresAt(), caps)).toEqual({ subscribed: true });
  });

  it('lets only one of two racing subscriptions that together would pass the user cap through', async () => {
    const alice = uniqueUser('alice');
    const outcomes = await Promise.all(
      ['c1', 'c2'].map((name) => subscriptions.subscribe({ userId: alice, connectionId: uniqueUser(name) }, users(uniqueUser(name), 5), expiresAt(), caps)),
    );
    expect(outcomes).toEqual(expect.arrayContaining([{ subscribed: true }, { over: 'user', watching: 5 }]));
    const lists = await subscriptions.watchedBy(alice);
    expect(lists.reduce((sum, { watched }) => sum + watched.length, 0)).toBe(5);
  });
});
