import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionDirectory, LiveConnection } from '../domain/chat/ports';
import type { ConnectionRecord, ConnectionRegistry } from '../domain/ports';

/** The connection registry in the table of `lib/constructs/connection-registry.ts`. */
export class DynamoDbConnectionRegistry implements ConnectionRegistry, ConnectionDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async register(connection: ConnectionRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...connection } }));
  }

  async touch(connection: ConnectionRecord): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { userId: connection.userId, connectionId: connection.connectionId },
        UpdateExpression:
          'SET lastActiveAt = :lastActiveAt, expiresAt = :expiresAt, ' +
          'connectedAt = if_not_exists(connectedAt, :connectedAt), deviceId = if_not_exists(deviceId, :deviceId)',
        ExpressionAttributeValues: {
          ':lastActiveAt': connection.lastActiveAt,
          ':expiresAt': connection.expiresAt,
          ':connectedAt': connection.connectedAt,
          ':deviceId': connection.deviceId,
        },
      }),
    );
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { userId, connectionId } }));
  }

  /** A user's connections that have not gone stale: DynamoDB's TTL deletes late, so expiry is checked here. */
  async liveConnectionsOf(userId: string): Promise<LiveConnection[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'userId = :userId',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: { ':userId': userId, ':now': Math.floor(Date.now() / 1000) },
        ProjectionExpression: 'userId, connectionId',
      }),
    );
    return Items.map((item) => ({ userId: String(item.userId), connectionId: String(item.connectionId) }));
  }

  forget(connection: LiveConnection): Promise<void> {
    return this.remove(connection.userId, connection.connectionId);
  }
}
