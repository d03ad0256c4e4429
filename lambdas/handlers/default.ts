import { actionBudgetEnvironment } from '../shared/action-budget';
import { frameBudgetsOf } from '../shared/frame-budgets';
import { loadConfig } from '../shared/config';
import { instrumented } from '../shared/observability';
import { actionRouter } from '../shared/websocket';

const config = loadConfig(actionBudgetEnvironment);

/**
 * API Gateway routes here every frame whose `action` matches no route, including frames that are
 * not JSON at all: each gets a `bad_request` error frame, and is paid for from its user's budget
 * like any frame.
 */
export const handler = instrumented(actionRouter({}, frameBudgetsOf(config)));
