import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord, ConnectionRegistry } from '../domain/ports';

/** The connection registry in the table of `lib/constructs/connection-registry.ts`. */
export class DynamoDbConnectionRegistry implements ConnectionRegistry {
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
}
