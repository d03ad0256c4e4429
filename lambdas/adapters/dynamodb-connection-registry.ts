import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateQuery, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionDirectory, LiveConnection } from '../domain/chat/ports';
import type { ConnectionRecord, ConnectionRegistry, StaleConnection, StaleConnectionRegistry } from '../domain/ports';
import { inPool } from '../domain/pool';
import type { LiveConnectionCounter } from '../domain/presence';
import { batchGetAll } from './dynamodb-batch';
import { conditionHeld } from './dynamodb-conditions';

/** The index of connections by expiry, and how many partitions it spreads them over. */
export const EXPIRY_INDEX = 'byExpiry';
/** The index of connections by their token's expiry, which the sweep reads to close them; same shards. */
export const TOKEN_EXPIRY_INDEX = 'byTokenExpiry';
const EXPIRY_SHARDS = 16;

/**
 * The sort key of each user's connection list: the item beside their connection records that
 * names them all (`connectionIds`, a string set), so that a delivery finds every member's
 * connections with one BatchGetItem per 100 members rather than a Query each. API Gateway's
 * connection ids never hold `#`. The item has no expiry and no `expiryShard`: neither index nor
 * TTL sees it, and a Query of a user's live connections filters it out.
 */
export const CONNECTION_LIST_KEY = '#list';

/** Users without a list adopted at once by one lookup (after a deploy over a registry without lists, most are). */
const ADOPTIONS_IN_FLIGHT = 16;

/**
 * The expiry index's partition for a connection: spreading connections over a few partitions keeps
 * the index's writes (one per refresh) off a single hot key, at the cost of one Query per shard a sweep.
 */
export function expiryShardOf(connectionId: string): number {
  let hash = 0;
  for (const char of connectionId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % EXPIRY_SHARDS;
}

/** The connection registry in the table of `lib/constructs/connection-registry.ts`. */
export class DynamoDbConnectionRegistry implements ConnectionRegistry, ConnectionDirectory, LiveConnectionCounter, StaleConnectionRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Registers a connection being opened (`$connect`): its record, then its place on its user's
   * list. Until `$connect` returns, the gateway answers 410 to a post to it, and a delivery that
   * met it then forgets it; listed first, that forget could land before the record's write and
   * leave a record off the list, never delivered to. (Forgotten so, it is registered again by its
   * first frame.) If the list cannot be written, the record is removed again and the handshake fails.
   */
  async register(connection: ConnectionRecord): Promise<void> {
    await this.putRecord(connection);
    try {
      await this.updateList(connection.userId, 'ADD', connection.connectionId);
    } catch (error) {
      await this.deleteRecord(connection.userId, connection.connectionId).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Registers again a connection the gateway holds open whose record was removed (swept while it
   * was quiet): its place on the list first, so that its record never exists off the list.
   */
  async reinstate(connection: ConnectionRecord): Promise<void> {
    await this.updateList(connection.userId, 'ADD', connection.connectionId);
    await this.putRecord(connection);
  }

  private async putRecord(connection: ConnectionRecord): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...connection, expiryShard: expiryShardOf(connection.connectionId) } }),
    );
  }

  async touch(connection: ConnectionRecord, freshExpiry: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId: connection.userId, connectionId: connection.connectionId },
          // Never re-creates a record that `$disconnect` or the sweep removed meanwhile. A fresh
          // record fails the condition for one write unit, where the write would cost three
          // (the record, and its `byExpiry` entry moved: deleted and put).
          ConditionExpression: 'attribute_exists(connectionId) AND expiresAt < :freshExpiry',
          UpdateExpression: 'SET lastActiveAt = :lastActiveAt, expiresAt = :expiresAt, expiryShard = :expiryShard',
          ExpressionAttributeValues: {
            ':lastActiveAt': connection.lastActiveAt,
            ':expiresAt': connection.expiresAt,
            ':expiryShard': expiryShardOf(connection.connectionId),
            ':freshExpiry': freshExpiry,
          },
          // Tells a fresh record (there) from a gone one (none).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return error.Item !== undefined;
      throw error;
    }
  }

  renewToken(connection: ConnectionRecord): Promise<boolean> {
    const { tokenExpiresAt } = connection;
    // A token that outlives the connection takes the connection out of the token-expiry index.
    const token = tokenExpiresAt === undefined ? { set: '', remove: ' REMOVE tokenExpiresAt', values: {} } : { set: ', tokenExpiresAt = :tokenExpiresAt', remove: '', values: { ':tokenExpiresAt': tokenExpiresAt } };
    return conditionHeld(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { userId: connection.userId, connectionId: connection.connectionId },
          ConditionExpression: 'attribute_exists(connectionId)',
          UpdateExpression: `SET lastActiveAt = :lastActiveAt, expiresAt = :expiresAt, expiryShard = :expiryShard${token.set}${token.remove}`,
          ExpressionAttributeValues: {
            ':lastActiveAt': connection.lastActiveAt,
            ':expiresAt': connection.expiresAt,
            ':expiryShard': expiryShardOf(connection.connectionId),
            ...token.values,
          },
        }),
      ),
    );
  }

  /** Removes a closed connection: its record and its place on its user's list. */
  async remove(userId: string, connectionId: string): Promise<void> {
    await Promise.all([this.deleteRecord(userId, connectionId), this.updateList(userId, 'DELETE', connectionId)]);
  }

  private async deleteRecord(userId: string, connectionId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { userId, connectionId } }));
  }

  /**
   * Each user's listed connections, from their connection lists read strongly (so that a
   * connection opened just before a send is not missed by a delivery that then marks the message
   * delivered): one BatchGetItem per 100 users. A listed connection may have gone stale or closed
   * without its list knowing; a post to it finds that out. A user with no list yet is adopted.
   */
  async connectionsOf(userIds: readonly string[]): Promise<Map<string, LiveConnection[]>> {
    // BatchGetItem refuses a key twice in one request.
    const users = [...new Set(userIds)];
    const lists = await batchGetAll(
      this.client,
      this.tableName,
      users.map((userId) => ({ userId, connectionId: CONNECTION_LIST_KEY })),
      { ConsistentRead: true, ProjectionExpression: 'userId, connectionIds' },
    );
    const byUser = new Map<string, LiveConnection[]>(users.map((userId) => [userId, []]));
    const listed = new Set<string>();
    for (const list of lists) {
      const userId = String(list.userId);
      if (!byUser.has(userId)) continue;
      listed.add(userId);
      const ids = list.connectionIds instanceof Set ? [...(list.connectionIds as Set<unknown>)] : [];
      byUser.set(userId, ids.map((connectionId) => ({ userId, connectionId: String(connectionId) })));
    }
    await inPool(
      users.filter((userId) => !listed.has(userId)),
      ADOPTIONS_IN_FLIGHT,
      async (userId) => void byUser.set(userId, await this.adopt(userId)),
    );
    return byUser;
  }

  /**
   * The live connections of a user who has no list yet, read from their records as before lists
   * were kept, and a list made of them, once: the next lookup reads it. Such a user's connections
   * all predate the lists (the stack was deployed over a registry without them), or they have not
   * connected since. The list is created even when empty, and an `ADD` racing it loses nothing.
   */
  private async adopt(userId: string): Promise<LiveConnection[]> {
    const { Items = [] } = await this.client.send(new QueryCommand({ ...this.liveRecordsOf(userId), ProjectionExpression: 'connectionId' }));
    const ids = Items.map((item) => String(item.connectionId));
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { userId, connectionId: CONNECTION_LIST_KEY },
        UpdateExpression: `SET adoptedAt = if_not_exists(adoptedAt, :now)${ids.length > 0 ? ' ADD connectionIds :connectionIds' : ''}`,
        ExpressionAttributeValues: { ':now': Date.now(), ...(ids.length > 0 ? { ':connectionIds': new Set(ids) } : {}) },
      }),
    );
    return ids.map((connectionId) => ({ userId, connectionId }));
  }

  unlist(connection: StaleConnection): Promise<void> {
    return this.updateList(connection.userId, 'DELETE', connection.connectionId);
  }

  /**
   * Adds a connection to its user's list (creating the list), or deletes it from there (deleting
   * the last one leaves the list empty). A delete never creates a list: an empty one would hide
   * the user's connections that predate the lists, which only adoption finds.
   */
  private async updateList(userId: string, change: 'ADD' | 'DELETE', connectionId: string): Promise<void> {
    const write = this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { userId, connectionId: CONNECTION_LIST_KEY },
        UpdateExpression: `${change} connectionIds :connectionId`,
        ...(change === 'DELETE' ? { ConditionExpression: 'attribute_exists(userId)' } : {}),
        ExpressionAttributeValues: { ':connectionId': new Set([connectionId]) },
      }),
    );
    await (change === 'DELETE' ? conditionHeld(write) : write);
  }

  /**
   * How many of a user's connections have not gone stale, read strongly: presence runs on the
   * stream of this table, and an eventually consistent read could still miss the opening or
   * closing that the stream just reported. The Query is of the base table, since a global
   * secondary index refuses ConsistentRead.
   */
  async countLiveConnections(userId: string): Promise<number> {
    let count = 0;
    const pages = paginateQuery({ client: this.client }, { ...this.liveRecordsOf(userId), Select: 'COUNT' });
    for await (const page of pages) count += page.Count ?? 0;
    return count;
  }

  /**
   * A Query of a user's connection records that have not gone stale, read strongly from the base
   * table (an index would refuse it): DynamoDB's TTL deletes late, so expiry is checked here, and
   * the list item, which has no expiry, is left out.
   */
  private liveRecordsOf(userId: string) {
    return {
      TableName: this.tableName,
      ConsistentRead: true,
      KeyConditionExpression: 'userId = :userId',
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: { ':userId': userId, ':now': Math.floor(Date.now() / 1000) },
    };
  }

  forget(connection: LiveConnection): Promise<void> {
    return this.remove(connection.userId, connection.connectionId);
  }

  staleConnections(nowSeconds: number): AsyncIterable<StaleConnection> {
    // A global secondary index is read eventually consistently only (ConsistentRead is refused);
    // removeIfStale checks each connection again on the base table.
    return this.connectionsBelow(EXPIRY_INDEX, 'expiresAt', nowSeconds);
  }

  removeIfStale(connection: StaleConnection, nowSeconds: number): Promise<boolean> {
    // The index is eventually consistent: the connection may have proved alive since.
    return this.removeIfBelow(connection, 'expiresAt', nowSeconds);
  }

  tokenExpiredConnections(nowSeconds: number): AsyncIterable<StaleConnection> {
    // Eventually consistent, as the expiry index: removeIfTokenExpired checks again.
    return this.connectionsBelow(TOKEN_EXPIRY_INDEX, 'tokenExpiresAt', nowSeconds);
  }

  removeIfTokenExpired(connection: StaleConnection, nowSeconds: number): Promise<boolean> {
    // The index is eventually consistent: the token may have been renewed since.
    return this.removeIfBelow(connection, 'tokenExpiresAt', nowSeconds);
  }

  /** Every connection whose `attribute` (the sort key of `indexName`, sharded by `expiryShard`) is before `nowSeconds`. */
  private async *connectionsBelow(indexName: string, attribute: 'expiresAt' | 'tokenExpiresAt', nowSeconds: number): AsyncIterable<StaleConnection> {
    for (let shard = 0; shard < EXPIRY_SHARDS; shard++) {
      const pages = paginateQuery(
        { client: this.client },
        {
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: `expiryShard = :shard AND ${attribute} < :now`,
          ExpressionAttributeValues: { ':shard': shard, ':now': nowSeconds },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) yield { userId: String(item.userId), connectionId: String(item.connectionId) };
      }
    }
  }

  /** Deletes the connection if its `attribute` is still before `nowSeconds` on the base table; whether it did. */
  private removeIfBelow(connection: StaleConnection, attribute: 'expiresAt' | 'tokenExpiresAt', nowSeconds: number): Promise<boolean> {
    return conditionHeld(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { userId: connection.userId, connectionId: connection.connectionId },
          ConditionExpression: `${attribute} < :now`,
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
  }
}
