import { DeleteCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRecords, RegisteredDevice } from '../domain/push-registration';

/** Device records in the push devices table (partition key `userId`, sort key `deviceKey`). */
export class DynamoDbDeviceRecords implements DeviceRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(device: Parameters<DeviceRecords['put']>[0]): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: device }));
  }

  async devicesOf(userId: string): Promise<RegisteredDevice[]> {
    const devices: RegisteredDevice[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':userId': userId },
        ProjectionExpression: 'deviceKey, registeredAt',
        // Strongly: the device just registered is counted.
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      // Records from before registeredAt was kept count as the oldest.
      devices.push(...(page.Items ?? []).map((item) => ({ deviceKey: String(item.deviceKey), registeredAt: Number(item.registeredAt ?? 0) })));
    }
    return devices;
  }

  async remove(userId: string, deviceKey: string): Promise<string | undefined> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { userId, deviceKey }, ReturnValues: 'ALL_OLD' }),
    );
    return Attributes?.endpointArn as string | undefined;
  }
}
