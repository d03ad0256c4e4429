import { DynamoDbBudgetStore } from '../adapters/dynamodb-budget-store';
import { budgetLimits, type BudgetLimits, type BudgetStore } from '../domain/budget';
import { documentClient } from './clients/dynamodb';
import { env, userLimits } from './config';

/** The budgets table's name, as `ActionBudgets.environment` (lib/constructs/action-budgets.ts) sets it on every action function. */
export const actionBudgetEnvironment = { ACTION_BUDGETS_TABLE: env.name() };

/** The budgets' limits as the stack configures them (`-c messenger:groupsCreatedPerHour`). */
export const configuredBudgetLimits: BudgetLimits = budgetLimits({ groupsCreatedPerHour: userLimits.GROUPS_CREATED_PER_HOUR });

/** The users' budgets, from a config loaded with `actionBudgetEnvironment`. */
export function budgetStoreOf(config: { ACTION_BUDGETS_TABLE: string }): BudgetStore {
  return new DynamoDbBudgetStore(documentClient, config.ACTION_BUDGETS_TABLE, configuredBudgetLimits);
}
