import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { renewTokenFrame } from '../../protocol/client-frames';
import { renewToken } from '../domain/token-renewal';
import { ACTION_UNITS } from '../domain/budget';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { actionBudgetEnvironment } from '../shared/action-budget';
import { frameBudgetsOf } from '../shared/frame-budgets';
import { env, loadConfig } from '../shared/config';
import { instrumented } from '../shared/observability';
import { tokenIssuerEnvironment, tokenVerifierOf } from '../shared/token-issuer';
import { action, actionRouter } from '../shared/websocket';

const config = loadConfig({
  ...actionBudgetEnvironment,
  CONNECTIONS_TABLE: env.name(),
  IDLE_TIMEOUT_SECONDS: env.positiveInt(),
  ...tokenIssuerEnvironment,
});
const verifier = tokenVerifierOf(config);
const registry = new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE);
const gateway = new ApiGatewayConnectionNotifier(managementApiClient);

/**
 * `renewToken`: keeps a connection open past its token's expiry, with a fresh token of the same
 * user checked as the authorizer checks one. Its own function: only it and the authorizer verify tokens.
 */
export const handler = instrumented(
  actionRouter(
    {
      renewToken: action(
        renewTokenFrame,
        (frame, caller) => renewToken({ caller, token: frame.token, now: Date.now(), verifier, registry, gateway, idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS }),
        ACTION_UNITS.renewToken,
      ),
    },
    frameBudgetsOf(config),
  ),
);
