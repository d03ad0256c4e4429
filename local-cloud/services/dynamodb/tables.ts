import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** The properties of an `AWS::DynamoDB::Table` that shape the table, after intrinsics are resolved. */
export interface TableProperties {
  KeySchema: CreateTableCommandInput['KeySchema'];
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
  LocalSecondaryIndexes?: CreateTableCommandInput['LocalSecondaryIndexes'];
  StreamSpecification?: { StreamViewType: string };
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
}

function withoutProvisionedThroughput<T extends object>(index: T): T {
  const { ProvisionedThroughput: _ignored, ...rest } = index as T & { ProvisionedThroughput?: unknown };
  return rest as T;
}

/**
 * Creates the table in DynamoDB Local as the template declares it, or checks that the table kept
 * from an earlier run still has the declared keys and indexes.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, properties: TableProperties): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const existingIndexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
    const declaredIndexes = (properties.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
    if (
      JSON.stringify(Table?.KeySchema) !== JSON.stringify(properties.KeySchema) ||
      JSON.stringify(existingIndexes) !== JSON.stringify(declaredIndexes)
    ) {
      throw new Error(
        `table ${tableName} kept from an earlier run has other keys or indexes than the template declares; ` +
          'delete the local data folder (LOCAL_DATA_DIR) to start afresh',
      );
    }
    if (properties.StreamSpecification && !Table?.StreamSpecification?.StreamEnabled) {
      // A stream the template gained since the table was made (as a deployment would add it).
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          StreamSpecification: { StreamEnabled: true, StreamViewType: properties.StreamSpecification.StreamViewType as 'NEW_IMAGE' },
        }),
      );
    }
    await leaveExpiryToTheSweeper(client, tableName);
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: properties.KeySchema,
      AttributeDefinitions: properties.AttributeDefinitions,
      GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes?.map(withoutProvisionedThroughput),
      LocalSecondaryIndexes: properties.LocalSecondaryIndexes,
      StreamSpecification: properties.StreamSpecification
        ? { StreamEnabled: true, StreamViewType: properties.StreamSpecification.StreamViewType as 'NEW_IMAGE' }
        : undefined,
    }),
  );
  // TTL stays off in DynamoDB Local: see leaveExpiryToTheSweeper.
}

/**
 * DynamoDB Local (2.x) deletes expired items within seconds, where DynamoDB takes up to a few days:
 * code that relied on TTL's timing would pass here and fail there. So the local cloud leaves
 * DynamoDB Local's TTL off (and turns it off on a table kept from a run that had it on) and
 * expires items with its own sweeper, whose period is a setting.
 */
async function leaveExpiryToTheSweeper(client: DynamoDBClient, tableName: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const attribute = TimeToLiveDescription?.AttributeName;
  if (TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' && attribute !== undefined) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: attribute, Enabled: false } }));
  }
}
