import { DynamoDbBudgetStore } from '../adapters/dynamodb-budget-store';
import type { BudgetStore } from '../domain/budget';
import { documentClient } from './clients/dynamodb';
import { env } from './config';

/** The budgets table's name, as `ActionBudgets.environment` (lib/constructs/action-budgets.ts) sets it on every action function. */
export const actionBudgetEnvironment = { ACTION_BUDGETS_TABLE: env.name() };

/** The users' budgets, from a config loaded with `actionBudgetEnvironment`. */
export function budgetStoreOf(config: { ACTION_BUDGETS_TABLE: string }): BudgetStore {
  return new DynamoDbBudgetStore(documentClient, config.ACTION_BUDGETS_TABLE);
}
