import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { paginateQuery, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PresenceStatusStore, PresenceSubscriber, PresenceSubscriptions, PresenceTransition, UserPresence } from '../domain/presence';
import * as z from '../domain/schema';
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
      // Strongly: a change recorded before this read must be in the answer (see subscribeToPresence).
      const items = await batchGet(this.client, { [this.tableName]: { Keys: keys, ConsistentRead: true } });
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

  async recordStatus(presence: UserPresence, now: number): Promise<PresenceTransition | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId: presence.userId },
          UpdateExpression: `SET #status = :status, changedAt = :now, publishPending = :pending${presence.lastSeen === undefined ? '' : ', lastSeen = :lastSeen'} ADD #version :one`,
          ConditionExpression: 'attribute_not_exists(#status) OR #status <> :status',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: {
            ':status': presence.status,
            ':now': now,
            ':pending': true,
            ':one': 1,
            ...(presence.lastSeen === undefined ? {} : { ':lastSeen': presence.lastSeen }),
          },
          ReturnValues: 'UPDATED_NEW',
          // The status was already so: whether that change still waits to be published is in the item.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const version = Attributes?.version;
      if (typeof version !== 'number') throw new Error('the status update returned no version');
      return { presence, version };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return pendingTransitionOf(presence.userId, error.Item);
      throw error;
    }
  }

  async confirmPublished(transition: PresenceTransition): Promise<void> {
    // A later change (its own version) is left pending: it has its own publication to confirm.
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId: transition.presence.userId },
          UpdateExpression: 'REMOVE publishPending',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': transition.version },
        }),
      ),
    );
  }
}

/** A status item as DynamoDB returns it with a failed condition: attribute values, not unmarshalled. */
const storedStatus = z.object({
  status: z.object({ S: z.enum(['online', 'offline']) }),
  lastSeen: z.optional(z.object({ N: z.string() })),
  version: z.object({ N: z.string() }),
  publishPending: z.optional(z.object({ BOOL: z.boolean() })),
});

/** The transition a status item holds if its publication was never confirmed. */
function pendingTransitionOf(userId: string, item: unknown): PresenceTransition | undefined {
  const stored = storedStatus.safeParse(item);
  // An item without a pending flag (or from before there was one) has nothing left to publish.
  if (!stored.success || stored.data.publishPending?.BOOL !== true) return undefined;
  const { status, lastSeen, version } = stored.data;
  return {
    presence: { userId, status: status.S, ...(status.S === 'offline' && lastSeen ? { lastSeen: Number(lastSeen.N) } : {}) },
    version: Number(version.N),
  };
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
        // Strongly: a subscription written before this read must be found (see subscribeToPresence).
        ConsistentRead: true,
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
