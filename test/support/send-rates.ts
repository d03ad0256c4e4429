import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { byLogicalId, standIns } from './local-cloud-env';

/**
 * Counts `sends` into each second of the next two minutes of the user's send counter (the
 * `SendRates` table, written directly as the operator), as new messages from the user's other
 * devices would. A test then meets a full second however slowly this machine runs the chat
 * function: on a loaded machine it may take fewer than 20 frames a second, and no burst of the
 * test's own could cross the limit.
 */
export async function alreadySentEachSecond(userId: string, sends: number): Promise<void> {
  const { dynamodb } = await standIns();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const table = byLogicalId(dynamodb.tables, 'ChatSendRates');
  const first = Math.floor(Date.now() / 1000);
  try {
    for (let second = first; second < first + 120; second += 25) {
      const items = Array.from({ length: 25 }, (_, i) => ({ userId, second: String(second + i), sends, expiresAt: second + i + 60 }));
      await client.send(new BatchWriteCommand({ RequestItems: { [table]: items.map((Item) => ({ PutRequest: { Item } })) } }));
    }
  } finally {
    client.destroy();
  }
}
