import { DeleteCommand, GetCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PushDeviceRegistry } from '../domain/ports';
import type { PushDevice } from '../domain/push';

/** Push devices in the table of `lib/constructs/push-notifications.ts`: partition key `userId`, sort key `deviceKey`. */
export class DynamoDbPushDeviceRegistry implements PushDeviceRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async devicesOf(userId: string): Promise<PushDevice[]> {
    const devices: PushDevice[] = [];
    const pages = paginateQuery(
      { client: this.client },
      { TableName: this.tableName, KeyConditionExpression: 'userId = :userId', ExpressionAttributeValues: { ':userId': userId } },
    );
    for await (const page of pages) devices.push(...((page.Items ?? []) as PushDevice[]));
    return devices;
  }

  async deviceOf(userId: string, deviceKey: string): Promise<PushDevice | undefined> {
    // Strongly: an unregistration just before this read must stop the push.
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { userId, deviceKey }, ConsistentRead: true }));
    return Item as PushDevice | undefined;
  }

  async remove(device: PushDevice): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { userId: device.userId, deviceKey: device.deviceKey } }));
  }
}
