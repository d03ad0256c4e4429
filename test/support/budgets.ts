import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { BUDGETS, type BudgetName } from '../../lambdas/domain/budget';
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
