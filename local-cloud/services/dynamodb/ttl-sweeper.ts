import { DeleteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A table whose items expire, and the key attributes that identify an item. */
export interface ExpiringTable {
  readonly tableName: string;
  readonly ttlAttribute: string;
  readonly keyAttributes: readonly string[];
}

/**
 * DynamoDB's TTL process, which DynamoDB Local lacks: it deletes items whose TTL attribute (epoch
 * seconds) has passed. DynamoDB does this within days, so the functions never rely on it and
 * filter on the attribute themselves; locally it runs every few seconds so that expiry shows.
 */
export class DynamoDbTtlSweeper {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: readonly ExpiringTable[],
    private readonly log: (message: string) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then(() => undefined, (error: Error) => this.log(`TTL sweep failed: ${error.message}`))
        .finally(() => (this.sweeping = undefined));
    }, intervalMs);
  }

  /** Deletes every expired item once. */
  async sweep(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    let deleted = 0;
    for (const table of this.tables) {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.client.send(
          new ScanCommand({
            TableName: table.tableName,
            FilterExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': table.ttlAttribute },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const key = Object.fromEntries(table.keyAttributes.map((name) => [name, item[name]]));
          await this.client.send(new DeleteItemCommand({ TableName: table.tableName, Key: key }));
          deleted += 1;
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return deleted;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}
