import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { LambdaService } from '../lambda/lambda-service';
import { FunctionError, InvocationRefused } from '../lambda/lambda-service';
import { serviceInvoker, type Invoker } from '../lambda/resource-policy';
import type { Log } from '../service';
import type { AccessLogEntry } from './access-log';
import { evaluateAuthorizerResult, missingIdentitySource, type ConnectAuthorizer } from './authorizer';
import { ConnectionRegistry, newConnectionId, type ConnectionLimits, type LiveConnection } from './connections';
import {
  authorizerEvent,
  bodyOf,
  connectEvent,
  disconnectEvent,
  messageEvent,
  methodArn,
  readHandshake,
  requestContext,
  selectRoute,
  selectedSubprotocolOf,
  statusOf,
  type RequestContext,
  type StageIdentity,
} from './lambda-events';
import { ClientFrameSizes, MAX_MESSAGE_BYTES, messageBytes, sendTextMessage } from './messages';
import { GatewayTraffic } from './traffic';

export interface RouteTarget {
  /** The function the route's integration invokes, by logical id. */
  readonly functionRef: string;
  /** Whether the route has a route response, which sends the integration's `body` back. */
  readonly returnResponse: boolean;
}

/** The API's routes as the template declares them. */
export interface GatewayRoutes {
  readonly routeSelectionExpression: string;
  readonly connect?: RouteTarget & { readonly authorizer?: ConnectAuthorizer };
  readonly disconnect?: RouteTarget;
  readonly byKey: ReadonlyMap<string, RouteTarget>;
}

export interface GatewayOptions {
  readonly stage: StageIdentity;
  readonly limits: ConnectionLimits;
  /** How long a route's integration has to answer (API Gateway: 50 ms to 29 s, 29 s by default). */
  readonly integrationTimeoutMs: number;
  readonly routes: GatewayRoutes;
  readonly lambda: LambdaService;
  readonly log: Log;
  /** Writes the stage's access log line of each request, when the stage has an access log. */
  readonly accessLog?: (entry: AccessLogEntry) => void;
}

/** The integration did not answer within the integration timeout. */
class IntegrationTimeout extends Error {}

/** How an integration call ended, as API Gateway's metrics tell them apart. */
function outcomeOf(error: unknown): 'integration-error' | 'execution-error' {
  return error instanceof IntegrationTimeout || error instanceof InvocationRefused ? 'execution-error' : 'integration-error';
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests', 500: 'Internal Server Error' };

function refuseHandshake(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The local stand-in for an API Gateway WebSocket API: the handshake with its REQUEST
 * authorizer and `$connect`, route selection on each frame, route responses and `$disconnect`.
 * The connections and their limits, the events, the authorizer's verdict and the management
 * API live beside it.
 */
export class WebSocketGateway {
  readonly connections: ConnectionRegistry;
  /** Its traffic as CloudWatch's AWS/ApiGateway metrics count it. */
  readonly traffic = new GatewayTraffic();
  /** The subprotocol each accepted handshake's `$connect` selected, for `handleProtocols` to answer with. */
  private readonly selectedSubprotocols = new WeakMap<IncomingMessage, string>();
  /**
   * `ws` closes with 1009 a message over 128 KB; a frame over 32 KB is watched for in `open`.
   * As API Gateway, it answers with the subprotocol `$connect` selected and with none otherwise
   * (`ws` alone would pick the client's first offer), so a client that offered subprotocols and
   * got none back fails the handshake, as browsers do.
   */
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (_offered, request) => this.selectedSubprotocols.get(request) ?? false,
  });

  constructor(private readonly options: GatewayOptions) {
    this.connections = new ConnectionRegistry(options.limits);
  }

  /** Runs the handshake: authorizer, then `$connect`; only a 2xx from both opens the socket. */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { stage, routes, lambda, log } = this.options;
    const handshake = readHandshake(request.url ?? '/', request.rawHeaders, request.socket.remoteAddress);
    const connectionId = newConnectionId();
    const connectedAt = Date.now();
    const context = requestContext(stage, connectionId, 'CONNECT', '$connect', connectedAt, handshake.identity);

    let authorizerContext: Record<string, unknown> | undefined;
    const authorizer = routes.connect?.authorizer;
    if (authorizer) {
      if (missingIdentitySource(authorizer.identitySources, handshake)) return this.refuseClient(socket, 401, context);
      let result: unknown;
      try {
        result = await lambda.invoke(authorizer.functionRef, authorizerEvent(stage, handshake, connectionId, connectedAt), this.invoker(authorizer.sourceArn));
      } catch (error) {
        if (error instanceof FunctionError && error.errorMessage === 'Unauthorized') return this.refuseClient(socket, 401, context);
        log(`authorizer failed: ${(error as Error).message}`);
        this.options.accessLog?.({ context, status: 500, errorMessage: STATUS_TEXT[500] });
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
      const verdict = evaluateAuthorizerResult(result, methodArn(stage, '$connect'));
      if (!verdict.allowed) {
        if (verdict.status !== 500) return this.refuseClient(socket, verdict.status, context);
        log(verdict.reason);
        this.options.accessLog?.({ context, status: 500, errorMessage: STATUS_TEXT[500] });
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
      authorizerContext = verdict.context;
    }

    if (routes.connect) {
      const facts = { id: connectionId, connectedAt, identity: handshake.identity, authorizer: authorizerContext };
      this.traffic.emit({ kind: 'connect', at: Date.now() });
      const started = Date.now();
      const event = connectEvent(stage, handshake, facts);
      const logged = { context: event.requestContext, authorizer: authorizerContext };
      try {
        const result = await lambda.invoke(routes.connect.functionRef, event, this.invoker(methodArn(stage, '$connect')));
        const status = statusOf(result);
        this.integrated(started, status, logged);
        if (status < 200 || status > 299) return refuseHandshake(socket, status, STATUS_TEXT[status] ?? 'Refused');
        const subprotocol = selectedSubprotocolOf(result);
        if (subprotocol !== undefined) this.selectedSubprotocols.set(request, subprotocol);
      } catch (error) {
        this.integrated(started, error, logged);
        log(`$connect failed: ${(error as Error).message}`);
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
    }

    this.server.handleUpgrade(request, socket, head, (ws) => {
      // Ahead of ws's own reader, so that an oversized frame is never routed.
      const frames = new ClientFrameSizes();
      socket.prependListener('data', (chunk: Buffer) => {
        if (ws.readyState === WebSocket.OPEN && frames.oversized(chunk)) {
          this.traffic.emit({ kind: 'client-error', at: Date.now() });
          ws.close(1009, 'Frame too big');
        }
      });
      this.open(ws, connectionId, connectedAt, handshake.identity, authorizerContext);
    });
  }

  private open(socket: WebSocket, id: string, connectedAt: number, identity: LiveConnection['identity'], authorizer?: Record<string, unknown>): void {
    const connection = this.connections.open(socket, id, connectedAt, identity, authorizer);
    socket.on('message', (data, isBinary) => {
      if (socket.readyState !== WebSocket.OPEN) return; // closing, as for an oversized frame
      this.connections.touch(connection);
      void this.route(connection, data, isBinary);
    });
    socket.on('close', (code, reason) => this.closed(connection, code, reason.toString()));
    socket.on('error', (error) => this.options.log(`connection ${id}: ${error.message}`));
  }

  private async route(connection: LiveConnection, data: RawData, isBinary: boolean): Promise<void> {
    const { stage, routes, lambda, log } = this.options;
    this.traffic.emit({ kind: 'message', at: Date.now() });
    const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const body = isBinary ? raw.toString('base64') : raw.toString('utf8');
    const routeKey = selectRoute(routes.routeSelectionExpression, routes.byKey, body, isBinary);
    const target = routes.byKey.get(routeKey);
    const event = messageEvent(stage, connection, routeKey, body, isBinary);
    const { requestId } = event.requestContext;
    const request = { context: event.requestContext, authorizer: connection.authorizer };
    if (target === undefined) {
      this.traffic.emit({ kind: 'client-error', at: Date.now() });
      this.options.accessLog?.({ ...request, status: 403, errorMessage: 'Forbidden' });
      this.send(connection, JSON.stringify({ message: 'Forbidden', connectionId: connection.id, requestId }));
      return;
    }
    const started = Date.now();
    const invocation = lambda.invoke(target.functionRef, event, this.invoker(methodArn(stage, routeKey)));
    let result: unknown;
    try {
      result = await this.withinIntegrationTimeout(invocation);
      this.integrated(started, statusOf(result), request);
    } catch (error) {
      this.integrated(started, error, request);
      if (error instanceof IntegrationTimeout) {
        log(`route ${routeKey} timed out after ${this.options.integrationTimeoutMs} ms; the function runs on`);
        this.send(connection, JSON.stringify({ message: 'Endpoint request timed out', connectionId: connection.id, requestId }));
        return;
      }
      log(`route ${routeKey} failed: ${(error as Error).message}`);
      this.send(connection, JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId }));
      return;
    }
    const reply = target.returnResponse ? bodyOf(result) : undefined;
    if (reply === undefined || reply === '') return;
    if (messageBytes(reply) > MAX_MESSAGE_BYTES) {
      // AWS documents no answer for a route response over the 128 KB message quota; the client
      // cannot get the reply, so it gets what API Gateway sends it for any integration failure.
      log(`route ${routeKey} answered ${messageBytes(reply)} bytes, over the 128 KB message quota: not sent`);
      this.send(connection, JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId }));
      return;
    }
    this.send(connection, reply);
  }

  /**
   * The integration's result, or an IntegrationTimeout once the integration timeout passes. As on
   * AWS the function is not stopped: it runs on to its own timeout, and its late result is dropped.
   */
  private withinIntegrationTimeout(invocation: Promise<unknown>): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new IntegrationTimeout()), this.options.integrationTimeoutMs);
    });
    invocation.catch(() => undefined); // A failure after the timeout is nobody's to report.
    return Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
  }

  /** Refuses a handshake with a 4XX before any integration runs: a client error. */
  private refuseClient(socket: Duplex, status: number, context: RequestContext): void {
    this.traffic.emit({ kind: 'client-error', at: Date.now() });
    this.options.accessLog?.({ context, status, errorMessage: STATUS_TEXT[status] ?? 'Refused' });
    refuseHandshake(socket, status, STATUS_TEXT[status] ?? 'Refused');
  }

  /**
   * Reports an integration call that began at `started` for a request: `answer` is the status it
   * answered, or what it failed with (API Gateway then answers 504 for a timeout, else 500).
   */
  private integrated(started: number, answer: unknown, request: Pick<AccessLogEntry, 'context' | 'authorizer'>): void {
    const at = Date.now();
    const latencyMs = at - started;
    const outcome = typeof answer === 'number' ? (answer >= 400 ? 'integration-error' : 'answered') : outcomeOf(answer);
    this.traffic.emit({ kind: 'integration', at, latencyMs, outcome });
    if (typeof answer === 'number') return this.options.accessLog?.({ ...request, status: answer, integration: { status: answer, latencyMs } });
    const timedOut = answer instanceof IntegrationTimeout;
    this.options.accessLog?.({
      ...request,
      status: timedOut ? 504 : 500,
      errorMessage: timedOut ? 'Endpoint request timed out' : STATUS_TEXT[500],
      integration: { latencyMs, error: answer instanceof FunctionError ? answer.errorMessage : (answer as Error).message },
    });
  }

  /** API Gateway as Lambda's resource policy sees it: the route's or authorizer's ARN. */
  private invoker(sourceArn: string): Invoker {
    return serviceInvoker('apigateway.amazonaws.com', sourceArn, this.options.stage.accountId);
  }

  private send(connection: LiveConnection, text: string): void {
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    sendTextMessage(connection.socket, text);
    this.traffic.emit({ kind: 'message', at: Date.now() });
  }

  private closed(connection: LiveConnection, code: number, reason: string): void {
    this.connections.closed(connection);
    const disconnect = this.options.routes.disconnect;
    if (!disconnect || connection.disconnectLost) return;
    const started = Date.now();
    const event = disconnectEvent(this.options.stage, connection, code, reason);
    const request = { context: event.requestContext, authorizer: connection.authorizer };
    void this.options.lambda
      .invoke(disconnect.functionRef, event, this.invoker(methodArn(this.options.stage, '$disconnect')))
      .then((result) => this.integrated(started, statusOf(result), request))
      .catch((error: Error) => {
        this.integrated(started, error, request);
        this.options.log(`$disconnect failed: ${error.message}`);
      });
  }

  async stop(): Promise<void> {
    this.connections.closeAll();
    this.server.close();
  }
}
