import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { BUDGETS, MESSAGES_SENT, type BudgetName } from '../../lambdas/domain/budget';
import { byLogicalId, standIns } from './local-cloud-env';

async function budgetsTable() {
  const { dynamodb } = await standIns();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  return { client, tableName: byLogicalId(dynamodb.tables, 'GatewayBudgets') };
}

/**
 * Empties the user's budget and keeps it empty for `forMs` more (the `ActionBudgets` table,
 * written directly as the operator), as a flood from the user's other devices would: every frame
 * the user sends within that time is over budget, however slowly this machine runs the functions.
 */
export async function keepBudgetSpent(userId: string, forMs: number, budget: BudgetName = 'actions'): Promise<void> {
  const { client, tableName } = await budgetsTable();
  const { perSecond, burst } = BUDGETS[budget];
  const dueAt = Date.now() + (burst * 1000) / perSecond + forMs;
  try {
    await client.send(new PutCommand({ TableName: tableName, Item: { userId, budget, dueAt, expiresAt: Math.ceil(dueAt / 1000) + 60 } }));
  } finally {
    client.destroy();
  }
}

/**
 * Fills the user's count of messages sent (MESSAGES_SENT, kept on their `sends` item) and keeps it
 * full for `forMs` more, as new messages from the user's other devices would: every new message
 * the user sends within that time is refused, however slowly this machine runs the functions.
 * Returns when the first new message fits again (epoch ms).
 */
export async function keepSendRateSpent(userId: string, forMs: number): Promise<number> {
  const { client, tableName } = await budgetsTable();
  const now = Date.now();
  const messagesDueAt = now + (MESSAGES_SENT.burst * 1000) / MESSAGES_SENT.perSecond + forMs;
  try {
    await client.send(new PutCommand({ TableName: tableName, Item: { userId, budget: 'sends', dueAt: now, messagesDueAt, expiresAt: Math.ceil(messagesDueAt / 1000) + 60 } }));
  } finally {
    client.destroy();
  }
  return now + forMs + 1000 / MESSAGES_SENT.perSecond;
}

/** When the user's budget would be full again (epoch ms), or undefined when it is full. */
export async function budgetDueAt(userId: string, budget: BudgetName = 'actions'): Promise<number | undefined> {
  const { client, tableName } = await budgetsTable();
  try {
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { userId, budget }, ConsistentRead: true }));
    return Item === undefined ? undefined : Number(Item.dueAt);
  } finally {
    client.destroy();
  }
}
