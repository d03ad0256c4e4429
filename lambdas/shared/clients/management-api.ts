import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import * as z from '../../domain/schema';
import { env, loadConfig } from '../config';

const config = loadConfig({
  WEBSOCKET_API_ENDPOINT: env.url(['wss:', 'ws:']),
  WEBSOCKET_STAGE: z.string().check(z.regex(/^[\w-]{1,128}$/, 'must be a stage name')),
});

/** The management API of the WebSocket API's stage: `wss://host` becomes `https://host/<stage>`. */
function managementEndpoint(apiEndpoint: string, stage: string): string {
  const url = new URL(apiEndpoint);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = `/${stage}`;
  return url.toString().replace(/\/$/, '');
}

/** Created once per execution environment and reused by every invocation. */
export const managementApiClient = new ApiGatewayManagementApiClient({
  endpoint: managementEndpoint(config.WEBSOCKET_API_ENDPOINT, config.WEBSOCKET_STAGE),
});
