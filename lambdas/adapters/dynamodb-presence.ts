import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateQuery, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  PresenceStatusStore,
  PresenceSubscriber,
  PresenceSubscriptions,
  PresenceTransition,
  SubscribeOutcome,
  SubscriptionCaps,
  SubscriptionPlan,
  UserPresence,
} from '../domain/presence';
import * as z from '../domain/schema';
import { batchGetAll, batchWrite } from './dynamodb-batch';
import { conditionHeld } from './dynamodb-conditions';

/** The subscriptions table's index by subscriber connection, which ends a connection's subscriptions. */
export const SUBSCRIPTIONS_BY_CONNECTION = 'bySubscriber';

/** Users' published presence in the status table of `lib/constructs/presence.ts`, one item per user. */
export class DynamoDbPresenceStatuses implements PresenceStatusStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async statusesOf(userIds: readonly string[]): Promise<UserPresence[]> {
    // Strongly: a change recorded before this read must be in the answer (see subscribeToPresence).
    const items = await batchGetAll(this.client, this.tableName, userIds.map((userId) => ({ userId })), { ConsistentRead: true });
    return items.map((item) => ({
      userId: String(item.userId),
      status: item.status === 'online' ? ('online' as const) : ('offline' as const),
      ...(item.status === 'online' || item.lastSeen === undefined ? {} : { lastSeen: Number(item.lastSeen) }),
    }));
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
 *
 * Beside them, in the same table, each connection's **watch list** (partition
 * `#watching#<subscriber user>`, sort key the connection): the set of users it watches and a
 * version, and a head item with a version of its own. The caps are checked on these lists: one
 * strongly consistent Query gives a user's lists (one per connection) and head, and the
 * connection's new list is written in a transaction with the head's next version, on condition
 * that both are as read, so that racing subscriptions cannot pass a cap together. A list carries the connection id like a subscription does, so ending the
 * connection's subscriptions (by the index) ends its list too. User ids never contain `#`, so no
 * list shares a partition with a watched user.
 */
export class DynamoDbPresenceSubscriptions implements PresenceSubscriptions {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async subscribe(
    subscriber: PresenceSubscriber,
    watchedUserIds: readonly string[],
    expiresAt: number,
    caps: SubscriptionCaps,
    beforeWrite: (plan: SubscriptionPlan) => Promise<void> = async () => undefined,
  ): Promise<SubscribeOutcome> {
    let added: string[];
    for (let attempt = 1; ; attempt++) {
      const { lists, headVersion } = await this.watchListsOf(subscriber.userId);
      const own = lists.find((list) => list.connectionId === subscriber.connectionId);
      const listed = new Set(own?.watched ?? []);
      added = [...new Set(watchedUserIds)].filter((userId) => !listed.has(userId));
      const watched = new Set([...listed, ...added]);
      if (watched.size > caps.perConnection) return { over: 'connection', watching: listed.size };
      const byUser = lists.filter((list) => list !== own).reduce((sum, list) => sum + list.watched.length, 0);
      if (byUser + watched.size > caps.perUser) return { over: 'user', watching: byUser + listed.size };
      await beforeWrite({ added: added.length, listSize: watched.size });
      // Watched already, each one: its list and its subscription were written together (below).
      if (added.length === 0) return { subscribed: true };
      if (await this.writeWatchList(subscriber, watched, own?.version, headVersion, expiresAt)) break;
      if (attempt >= LIST_ATTEMPTS) throw new Error(`the watch lists of ${subscriber.userId} kept changing`);
    }
    try {
      await batchWrite(
        this.client,
        added.map((watchedUserId) => ({
          table: this.tableName,
          put: { watchedUserId, connectionId: subscriber.connectionId, subscriberUserId: subscriber.userId, expiresAt },
        })),
      );
    } catch (error) {
      // The list must not name users whose subscription is missing, or a retry would skip them: they leave it again.
      await this.unlist(subscriber, added);
      throw error;
    }
    return { subscribed: true };
  }

  async subscribersOf(watchedUserId: string): Promise<PresenceSubscriber[]> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const subscribers: PresenceSubscriber[] = [];
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
        ProjectionExpression: 'connectionId, subscriberUserId',
      },
    );
    for await (const page of pages) {
      subscribers.push(...(page.Items ?? []).map((item) => ({ connectionId: String(item.connectionId), userId: String(item.subscriberUserId) })));
    }
    return subscribers;
  }

  async watchedBy(userId: string): Promise<Array<{ connectionId: string; watched: string[] }>> {
    return (await this.watchListsOf(userId)).lists.map(({ connectionId, watched }) => ({ connectionId, watched }));
  }

  async unsubscribe(subscriber: PresenceSubscriber, watchedUserId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { watchedUserId, connectionId: subscriber.connectionId } }));
    await this.unlist(subscriber, [watchedUserId]);
  }

  /** Takes users off the connection's watch list. The list may be gone with its connection; otherwise it loses them, and its version moves. */
  private async unlist(subscriber: PresenceSubscriber, watchedUserIds: readonly string[]): Promise<void> {
    await conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { watchedUserId: watchListKey(subscriber.userId), connectionId: subscriber.connectionId },
          UpdateExpression: 'DELETE watched :users ADD version :one',
          ConditionExpression: 'attribute_exists(version)',
          ExpressionAttributeValues: { ':users': new Set(watchedUserIds), ':one': 1 },
        }),
      ),
    );
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
    // The connection's watch list is among them.
    for await (const page of pages) keys.push(...(page.Items ?? []).map((item) => ({ watchedUserId: item.watchedUserId, connectionId })));
    await batchWrite(this.client, keys.map((key) => ({ table: this.tableName, deleteKey: key })));
  }

  /** The user's watch lists, one per connection that watches anyone, and the version of their head, read strongly consistently. */
  private async watchListsOf(userId: string): Promise<{ lists: WatchList[]; headVersion?: number }> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const lists: WatchList[] = [];
    let headVersion: number | undefined;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'watchedUserId = :list',
        ExpressionAttributeValues: { ':list': watchListKey(userId) },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (item.connectionId === headKey(userId)) {
          headVersion = Number(item.version);
          continue;
        }
        // A list whose connection must have ended (its removal lost) counts for nothing.
        const live = Number(item.expiresAt) > nowSeconds;
        lists.push({
          connectionId: String(item.connectionId),
          watched: live && item.watched instanceof Set ? [...(item.watched as Set<string>)] : [],
          version: Number(item.version),
        });
      }
    }
    return { lists, ...(headVersion === undefined ? {} : { headVersion }) };
  }

  /**
   * Writes the connection's list and moves the user's head on, on condition that both are as read:
   * every subscription of the user moves the head, so of two racing ones (on any connections) one
   * fails and reads the lists again. False when that happened.
   */
  private async writeWatchList(subscriber: PresenceSubscriber, watched: Set<string>, version: number | undefined, headVersion: number | undefined, expiresAt: number): Promise<boolean> {
    const list = watchListKey(subscriber.userId);
    const unchanged = (known: number | undefined) =>
      known === undefined
        ? { ConditionExpression: 'attribute_not_exists(version)' }
        : { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': known } };
    const items = [
      {
        Put: {
          TableName: this.tableName,
          Item: { watchedUserId: list, connectionId: subscriber.connectionId, subscriberUserId: subscriber.userId, watched, version: (version ?? 0) + 1, expiresAt },
          ...unchanged(version),
        },
      },
      {
        // No subscription outlives its connection, so neither need the head: it expires with the latest.
        Put: { TableName: this.tableName, Item: { watchedUserId: list, connectionId: headKey(subscriber.userId), version: (headVersion ?? 0) + 1, expiresAt }, ...unchanged(headVersion) },
      },
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }
}

interface WatchList {
  readonly connectionId: string;
  readonly watched: string[];
  readonly version: number;
}

/** The partition of a user's watch lists. */
const watchListKey = (userId: string) => `#watching#${userId}`;
/** A subscription whose lists keep changing under it gives up after this many reads. */
const LIST_ATTEMPTS = 5;
/** The sort key of the item whose version every subscription of the user moves on. */
const headKey = (userId: string) => `#head#${userId}`;
