import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRecords } from '../domain/push-registration';

/** Device records in the push devices table (partition key `userId`, sort key `deviceKey`). */
export class DynamoDbDeviceRecords implements DeviceRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(device: Parameters<DeviceRecords['put']>[0]): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: device }));
  }

  async remove(userId: string, deviceKey: string): Promise<string | undefined> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { userId, deviceKey }, ReturnValues: 'ALL_OLD' }),
    );
    return Attributes?.endpointArn as string | undefined;
  }
}
