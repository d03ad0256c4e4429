import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GROUPS_CREATED_PER_HOUR_CONTEXT, IDLE_TIMEOUT_CONTEXT } from '../../../lib/app-context';
import { json, notFound, USER_RULE, userParameter } from '../../http';
import { ACCOUNT_ID, REGION } from '../account';
import type { CloudContext, CloudService, DefinedResource, HttpRoute, LaunchContext, Log, SetupContext } from '../service';
import type { IamAccess } from '../iam/module';
import { AccessLog, accessLogSettingsOf } from './access-log';
import { allowedByIam, handleManagementRequest, MANAGEMENT_PATH, type ConnectionFaults } from './management-api';
import { gatewayRoutesOf, stageNameOf } from './template-routes';
import { WebSocketGateway } from './websocket-gateway';

const API_ID = 'local';

/**
 * API Gateway's WebSocket API on the local cloud's port: the handshake at `/`, the `@connections`
 * management API at `/{stage}/@connections/{id}` (with the failures the fault injector arms),
 * `/dev/drop` to lose a user's `$disconnect`, and the stage's access log, read at
 * `GET /dev/logs?group=<its log group>`.
 */
export class ApiGatewayService implements CloudService {
  readonly name = 'apigateway';
  private gateway?: WebSocketGateway;
  private log: Log = () => undefined;
  private iam?: IamAccess;
  private accessLog?: AccessLog;

  /** `faults`: failures `@connections` answers on purpose instead (`/dev/faults`). */
  constructor(private readonly faults?: ConnectionFaults) {}

  async synthContext({ config }: SetupContext): Promise<Record<string, string>> {
    return {
      [IDLE_TIMEOUT_CONTEXT]: String(config.idleTimeoutSeconds),
      // Charged by every function behind the gateway's routes (lib/constructs/action-budgets.ts).
      [GROUPS_CREATED_PER_HOUR_CONTEXT]: String(config.groupsCreatedPerHour),
    };
  }

  readonly resourceTypes = {
    'AWS::ApiGatewayV2::Api': (_resource: DefinedResource, { config }: LaunchContext) => ({
      ref: API_ID,
      attributes: { ApiEndpoint: `ws://127.0.0.1:${config.port}`, ApiId: API_ID },
    }),
    'AWS::ApiGatewayV2::Stage': ({ resource }: DefinedResource) => ({ ref: String((resource.Properties ?? {}).StageName), attributes: {} }),
  };

  async start({ assembly, resolver, config, log, logDir, exposed }: CloudContext): Promise<void> {
    this.log = log;
    if (exposed.lambda === undefined) throw new Error('the WebSocket API integrates functions, and no functions run');
    this.iam = exposed.iam;
    const accessLogSettings = accessLogSettingsOf(assembly, resolver);
    const accessLog = accessLogSettings && new AccessLog(accessLogSettings, logDir, log);
    this.accessLog = accessLog;
    this.gateway = new WebSocketGateway({
      stage: { apiId: API_ID, stage: stageNameOf(assembly), region: REGION, accountId: ACCOUNT_ID, domainName: `127.0.0.1:${config.port}` },
      limits: { idleTimeoutMs: config.idleTimeoutSeconds * 1000, maxConnectionMs: config.maxConnectionSeconds * 1000 },
      integrationTimeoutMs: config.integrationTimeoutMs,
      routes: gatewayRoutesOf(assembly, resolver),
      lambda: exposed.lambda,
      log,
      accessLog: accessLog && ((entry) => accessLog.write(entry)),
    });
    exposed.gateway = { apiId: API_ID, stage: stageNameOf(assembly), traffic: this.gateway.traffic };
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (this.gateway === undefined) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    this.gateway.handleUpgrade(request, socket, head).catch((error: Error) => {
      this.log(`handshake failed: ${error.message}`);
      socket.destroy();
    });
  }

  readonly routes: readonly HttpRoute[] = [
    {
      path: MANAGEMENT_PATH,
      handle: (request, response, _url, match) => {
        if (this.gateway === undefined || this.iam === undefined) return notFound(response);
        if (!allowedByIam(this.iam, request, response, this.log)) return;
        return handleManagementRequest(request, response, match[2], this.gateway.connections, this.faults, this.gateway.traffic);
      },
    },
    {
      path: '/dev/logs',
      handle: async (_request, response, url) => {
        const group = url.searchParams.get('group');
        const groups = this.accessLog ? [this.accessLog.settings.logGroupName] : [];
        if (group === null) return json(response, 200, { groups });
        if (this.accessLog === undefined || group !== this.accessLog.settings.logGroupName) {
          return json(response, 404, { message: `no log group ${group} here: GET /dev/logs?group=<one of groups>`, groups });
        }
        return json(response, 200, { group, lines: await this.accessLog.lines() });
      },
    },
    {
      path: '/dev/drop',
      handle: (request, response, url) => {
        if (request.method !== 'POST') return json(response, 405, { message: 'use POST /dev/drop?user=<id>' });
        const user = userParameter(url);
        if (user === undefined) return json(response, 400, { message: `${USER_RULE}, e.g. POST /dev/drop?user=bob` });
        return json(response, 200, { dropped: this.gateway?.connections.dropWithoutDisconnect(user) ?? 0 });
      },
    },
  ];

  async stop(): Promise<void> {
    const gateway = this.gateway;
    this.gateway = undefined;
    await gateway?.stop();
  }
}
