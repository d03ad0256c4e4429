import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbBudgetStore } from '../adapters/dynamodb-budget-store';
import { FloodGuard } from '../domain/flood-guard';
import { configuredBudgetLimits } from './action-budget';
import { documentClient } from './clients/dynamodb';
import { managementApiClient } from './clients/management-api';
import type { RouterOptions } from './websocket';

/**
 * What a function behind a frame route passes its action router about budgets: the store every
 * frame is charged to, and the guard that closes a connection whose user keeps sending over it
 * (with `WebSocketGateway`'s grant to post the last frame and close, lib/constructs/websocket-gateway.ts).
 * One store for both, so that the environment's memory of a bucket sees the drain too.
 */
export function frameBudgetsOf(config: { readonly ACTION_BUDGETS_TABLE: string }): Pick<RouterOptions, 'budget' | 'onRefused'> {
  const budget = new DynamoDbBudgetStore(documentClient, config.ACTION_BUDGETS_TABLE, configuredBudgetLimits);
  const guard = new FloodGuard({ budget, notifier: new ApiGatewayConnectionNotifier(managementApiClient), clock: Date.now });
  return { budget, onRefused: (caller) => guard.noteRefusal(caller) };
}
