import { paginateQuery, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PresenceStatusStore, PresenceSubscriber, PresenceSubscriptions, UserPresence } from '../domain/presence';
import { batchGet, batchWrite } from './dynamodb-batch';
import { conditionHeld } from './dynamodb-conditions';

/** The subscriptions table's index by subscriber connection, which ends a connection's subscriptions. */
export const SUBSCRIPTIONS_BY_CONNECTION = 'bySubscriber';
const BATCH_GET_SIZE = 100;

/** Users' published presence in the status table of `lib/constructs/presence.ts`, one item per user. */
export class DynamoDbPresenceStatuses implements PresenceStatusStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async statusesOf(userIds: readonly string[]): Promise<UserPresence[]> {
    const statuses: UserPresence[] = [];
    for (let start = 0; start < userIds.length; start += BATCH_GET_SIZE) {
      const keys = userIds.slice(start, start + BATCH_GET_SIZE).map((userId) => ({ userId }));
      const items = await batchGet(this.client, { [this.tableName]: { Keys: keys } });
      statuses.push(
        ...items.map((item) => ({
          userId: String(item.userId),
          status: item.status === 'online' ? ('online' as const) : ('offline' as const),
          ...(item.status === 'online' || item.lastSeen === undefined ? {} : { lastSeen: Number(item.lastSeen) }),
        })),
      );
    }
    return statuses;
  }

  changeStatus(presence: UserPresence, now: number): Promise<boolean> {
    return conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId: presence.userId },
          UpdateExpression:
            presence.lastSeen === undefined
              ? 'SET #status = :status, changedAt = :now'
              : 'SET #status = :status, changedAt = :now, lastSeen = :lastSeen',
          ConditionExpression: 'attribute_not_exists(#status) OR #status <> :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': presence.status,
            ':now': now,
            ...(presence.lastSeen === undefined ? {} : { ':lastSeen': presence.lastSeen }),
          },
        }),
      ),
    );
  }
}

/**
 * Presence subscriptions in the subscriptions table of `lib/constructs/presence.ts`: partition key
 * the watched user, sort key the subscriber's connection, expiring (TTL) when the connection must
 * have ended.
 */
export class DynamoDbPresenceSubscriptions implements PresenceSubscriptions {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async subscribe(subscriber: PresenceSubscriber, watchedUserIds: readonly string[], expiresAt: number): Promise<void> {
    await batchWrite(
      this.client,
      watchedUserIds.map((watchedUserId) => ({
        table: this.tableName,
        put: { watchedUserId, connectionId: subscriber.connectionId, subscriberUserId: subscriber.userId, expiresAt },
      })),
    );
  }

  async subscribersOf(watchedUserId: string): Promise<string[]> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const connections: string[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'watchedUserId = :watched',
        // TTL deletes late; an expired subscription's connection has ended.
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: { ':watched': watchedUserId, ':now': nowSeconds },
        ProjectionExpression: 'connectionId',
      },
    );
    for await (const page of pages) connections.push(...(page.Items ?? []).map((item) => String(item.connectionId)));
    return connections;
  }

  async endSubscriptionsOf(connectionId: string): Promise<void> {
    const keys: Array<Record<string, unknown>> = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: SUBSCRIPTIONS_BY_CONNECTION,
        KeyConditionExpression: 'connectionId = :connection',
        ExpressionAttributeValues: { ':connection': connectionId },
      },
    );
    for await (const page of pages) keys.push(...(page.Items ?? []).map((item) => ({ watchedUserId: item.watchedUserId, connectionId })));
    await batchWrite(this.client, keys.map((key) => ({ table: this.tableName, deleteKey: key })));
  }
}
