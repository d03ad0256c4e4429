import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { presenceAudienceSchema } from '../../protocol/fields';
import { DEFAULT_SETTINGS, type UserSettings, type UserSettingsStore } from '../domain/settings';
import { batchGetAll } from './dynamodb-batch';

function settingsFrom(item: Record<string, unknown> | undefined): UserSettings {
  return {
    activeStatus: typeof item?.activeStatus === 'boolean' ? item.activeStatus : DEFAULT_SETTINGS.activeStatus,
    pushPreviews: typeof item?.pushPreviews === 'boolean' ? item.pushPreviews : DEFAULT_SETTINGS.pushPreviews,
    presenceAudience: presenceAudienceSchema.safeParse(item?.presenceAudience).data ?? DEFAULT_SETTINGS.presenceAudience,
    requestNotifications: typeof item?.requestNotifications === 'boolean' ? item.requestNotifications : DEFAULT_SETTINGS.requestNotifications,
  };
}

/** Users' settings in the table of `lib/constructs/user-settings.ts`: partition key `userId`, one item per user who changed one. */
export class DynamoDbUserSettings implements UserSettingsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async settingsOf(userIds: readonly string[]): Promise<Map<string, UserSettings>> {
    const unique = [...new Set(userIds)];
    // Strongly: a switch turned off before this read must hide the user.
    const read = await batchGetAll(this.client, this.tableName, unique.map((userId) => ({ userId })), { ConsistentRead: true });
    const items = new Map(read.map((item) => [String(item.userId), item]));
    return new Map(unique.map((userId) => [userId, settingsFrom(items.get(userId))]));
  }

  async update(userId: string, changes: Partial<UserSettings>): Promise<{ before: UserSettings; after: UserSettings }> {
    const names = (Object.keys(changes) as Array<keyof UserSettings>).filter((name) => changes[name] !== undefined);
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { userId },
        UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name) => [`:${name}`, changes[name]])),
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = settingsFrom(Attributes);
    return { before, after: { ...before, ...Object.fromEntries(names.map((name) => [name, changes[name]])) } };
  }
}
