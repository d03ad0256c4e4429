import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { readStackAssembly, type StackAssembly } from './assembly/cloud-assembly';
import { IntrinsicResolver } from './assembly/intrinsics';
import { synthesize } from './assembly/synth';
import { exposureWarning, listenAddresses } from './bind-address';
import type { LocalCloudConfig } from './config';
import { devRequestRefusal, isDevPath, remotePeerRefusal } from './dev-guard';
import { json, listen, notFound } from './http';
import { ACCOUNT_ID, REGION } from './services/account';
import { ServiceEndpoints } from './services/endpoints';
import { MANAGEMENT_PATH } from './services/apigateway/management-api';
import { cloudServices } from './services/index';
import type { CloudService, HttpRoute, LaunchContext, Log, ResourceDefinition, SetupContext } from './services/service';

/**
 * The messenger on this machine: it synthesizes the CDK app, then runs its services (one module
 * per AWS service, see `services/`) through their phases, and serves the WebSocket API, the
 * management API and the `/dev` endpoints the services contribute on one port, of 127.0.0.1 and
 * of `LOCAL_BIND_ADDRESS` when it names another address.
 */
export class LocalCloud {
  private readonly services: readonly CloudService[] = cloudServices();
  private readonly routes: readonly HttpRoute[];
  /** One server per address listened on (`listenAddresses`), all serving alike. */
  private readonly servers: readonly Server[];
  private ready = false;

  private constructor(
    private readonly config: LocalCloudConfig,
    private readonly log: Log,
  ) {
    this.routes = [
      { path: '/dev/health', handle: (_request, response) => json(response, this.ready ? 200 : 503, { status: this.ready ? 'ready' : 'starting' }) },
      { path: '/dev/stand-ins', handle: (_request, response) => json(response, 200, Object.assign({}, ...this.services.map((service) => service.describe?.()))) },
      ...this.services.flatMap((service) => service.routes ?? []),
    ];
    this.servers = listenAddresses(config.bindAddress).map(() => this.createServer());
  }

  private createServer(): Server {
    const server = createServer((request, response) => {
      this.handleHttp(request, response).catch((error: Error) => {
        this.log(`request ${request.method} ${request.url} failed: ${error.message}`);
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ message: 'Internal server error' }));
      });
    });
    // Longer than clients' keep-alive, so that a client never reuses a socket the server is closing.
    server.keepAliveTimeout = 65_000;
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      this.log(`HTTP client error: ${error.code ?? ''} ${error.message}`);
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    server.on('upgrade', (request, socket, head) => {
      const gateway = this.services.find((service) => service.handleUpgrade);
      if (gateway === undefined) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      else gateway.handleUpgrade!(request, socket, head);
    });
    return server;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.config.port}`;
  }

  get webSocketUrl(): string {
    return `ws://127.0.0.1:${this.config.port}/`;
  }

  /** Starts everything; on any failure stops what it started and rethrows with the reason. */
  static async start(config: LocalCloudConfig, log: Log): Promise<LocalCloud> {
    const cloud = new LocalCloud(config, log);
    try {
      await cloud.boot();
      return cloud;
    } catch (error) {
      await cloud.stop();
      throw error;
    }
  }

  private async boot(): Promise<void> {
    const logDir = path.join(this.config.dataDir, 'logs');
    await mkdir(logDir, { recursive: true });
    const addresses = listenAddresses(this.config.bindAddress);
    for (const [index, server] of this.servers.entries()) await listen(server, this.config.port, addresses[index]);
    const warning = exposureWarning(this.config.bindAddress, this.config.port);
    if (warning !== undefined) this.log(warning);
    const setup: SetupContext = { config: this.config, log: this.log, baseUrl: this.baseUrl, logDir };

    const synthContext: Record<string, string> = {};
    for (const service of this.services) Object.assign(synthContext, await service.synthContext?.(setup));
    const outDir = path.join(this.config.dataDir, 'cdk.out');
    this.log('synthesizing the CDK app');
    await synthesize(outDir, synthContext);
    const assembly = await readStackAssembly(outDir);

    // The stand-ins start side by side: they take most of the boot.
    const launch: LaunchContext = { ...setup, assembly, endpoints: new ServiceEndpoints() };
    const launched = await Promise.allSettled(this.services.map((service) => service.launch?.(launch)));
    const failures = launched.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failures.length > 0) throw new Error(failures.map((failure) => (failure.reason as Error).message).join('\n'));
    for (const service of this.services) await service.interpose?.(launch);

    const resolver = new IntrinsicResolver({ region: REGION, accountId: ACCOUNT_ID, partition: 'aws', urlSuffix: 'amazonaws.com', stackName: assembly.stackName });
    this.defineResources(assembly, resolver, launch);
    const context = { ...launch, resolver, exposed: {} };
    for (const service of this.services) await service.start?.(context);
    this.ready = true;
  }

  /** Gives every resource of the template its `Ref` and `Fn::GetAtt` values, as the service owning its type defines them. */
  private defineResources(assembly: StackAssembly, resolver: IntrinsicResolver, context: LaunchContext): void {
    const definitions = new Map<string, ResourceDefinition>();
    for (const service of this.services) {
      for (const [type, definition] of Object.entries(service.resourceTypes ?? {})) {
        if (definitions.has(type)) throw new Error(`two local services define ${type}`);
        definitions.set(type, definition);
      }
    }
    for (const [logicalId, resource] of assembly.resources) {
      const define = definitions.get(resource.Type);
      // A type no service owns (a permission, a policy) is only ever referred to by its logical id.
      const values = define ? define({ logicalId, resource, physicalName: `${assembly.stackName}-${logicalId}` }, context) : { ref: logicalId, attributes: {} };
      resolver.define(logicalId, values);
    }
  }

  private async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const refusal = isDevPath(url.pathname) ? devRequestRefusal(request, this.config.port) : MANAGEMENT_PATH.test(url.pathname) ? remotePeerRefusal(request) : undefined;
    if (refusal !== undefined) {
      this.log(`refused ${request.method} ${url.pathname}: ${refusal}`);
      return json(response, 403, { message: refusal });
    }
    for (const route of this.routes) {
      const match = typeof route.path === 'string' ? (route.path === url.pathname ? [url.pathname] : null) : url.pathname.match(route.path);
      if (match) return route.handle(request, response, url, match);
    }
    if (url.pathname.startsWith('/dev/')) return json(response, 404, { message: 'Not found' });
    notFound(response);
  }

  /** Stops everything this local cloud started: the services in reverse order, then the server. */
  async stop(): Promise<void> {
    this.ready = false;
    for (const service of [...this.services].reverse()) {
      await service.stop().catch((error: Error) => this.log(`stopping ${service.name} failed: ${error.message}`));
    }
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
