import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { LambdaService } from '../lambda/lambda-service';
import { FunctionError } from '../lambda/lambda-service';
import { serviceInvoker, type Invoker } from '../lambda/resource-policy';
import type { Log } from '../service';
import { evaluateAuthorizerResult, missingIdentitySource, type ConnectAuthorizer } from './authorizer';
import { ConnectionRegistry, MAX_FRAME_BYTES, newConnectionId, type ConnectionLimits, type LiveConnection } from './connections';
import {
  authorizerEvent,
  bodyOf,
  connectEvent,
  disconnectEvent,
  messageEvent,
  methodArn,
  readHandshake,
  selectRoute,
  statusOf,
  type StageIdentity,
} from './lambda-events';

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
  readonly routes: GatewayRoutes;
  readonly lambda: LambdaService;
  readonly log: Log;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error' };

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
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  constructor(private readonly options: GatewayOptions) {
    this.connections = new ConnectionRegistry(options.limits);
  }

  /** Runs the handshake: authorizer, then `$connect`; only a 2xx from both opens the socket. */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { stage, routes, lambda, log } = this.options;
    const handshake = readHandshake(request.url ?? '/', request.rawHeaders, request.socket.remoteAddress);
    const connectionId = newConnectionId();
    const connectedAt = Date.now();

    let authorizerContext: Record<string, unknown> | undefined;
    const authorizer = routes.connect?.authorizer;
    if (authorizer) {
      if (missingIdentitySource(authorizer.identitySources, handshake)) return refuseHandshake(socket, 401, STATUS_TEXT[401]);
      let result: unknown;
      try {
        result = await lambda.invoke(authorizer.functionRef, authorizerEvent(stage, handshake, connectionId, connectedAt), this.invoker(authorizer.sourceArn));
      } catch (error) {
        if (error instanceof FunctionError && error.errorMessage === 'Unauthorized') return refuseHandshake(socket, 401, STATUS_TEXT[401]);
        log(`authorizer failed: ${(error as Error).message}`);
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
      const verdict = evaluateAuthorizerResult(result, methodArn(stage, '$connect'));
      if (!verdict.allowed) {
        if (verdict.status === 500) log(verdict.reason);
        return refuseHandshake(socket, verdict.status, STATUS_TEXT[verdict.status]);
      }
      authorizerContext = verdict.context;
    }

    if (routes.connect) {
      const facts = { id: connectionId, connectedAt, identity: handshake.identity, authorizer: authorizerContext };
      try {
        const status = statusOf(await lambda.invoke(routes.connect.functionRef, connectEvent(stage, handshake, facts), this.invoker(methodArn(stage, '$connect'))));
        if (status < 200 || status > 299) return refuseHandshake(socket, status, STATUS_TEXT[status] ?? 'Refused');
      } catch (error) {
        log(`$connect failed: ${(error as Error).message}`);
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
    }

    this.server.handleUpgrade(request, socket, head, (ws) => this.open(ws, connectionId, connectedAt, handshake.identity, authorizerContext));
  }

  private open(socket: WebSocket, id: string, connectedAt: number, identity: LiveConnection['identity'], authorizer?: Record<string, unknown>): void {
    const connection = this.connections.open(socket, id, connectedAt, identity, authorizer);
    socket.on('message', (data, isBinary) => {
      this.connections.touch(connection);
      void this.route(connection, data, isBinary);
    });
    socket.on('close', (code, reason) => this.closed(connection, code, reason.toString()));
    socket.on('error', (error) => this.options.log(`connection ${id}: ${error.message}`));
  }

  private async route(connection: LiveConnection, data: RawData, isBinary: boolean): Promise<void> {
    const { stage, routes, lambda, log } = this.options;
    const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const body = isBinary ? raw.toString('base64') : raw.toString('utf8');
    const routeKey = selectRoute(routes.routeSelectionExpression, routes.byKey, body, isBinary);
    const target = routes.byKey.get(routeKey);
    const event = messageEvent(stage, connection, routeKey, body, isBinary);
    const { requestId } = event.requestContext;
    if (target === undefined) {
      this.send(connection, JSON.stringify({ message: 'Forbidden', connectionId: connection.id, requestId }));
      return;
    }
    try {
      const result = await lambda.invoke(target.functionRef, event, this.invoker(methodArn(stage, routeKey)));
      const reply = target.returnResponse ? bodyOf(result) : undefined;
      if (reply !== undefined && reply !== '') this.send(connection, reply);
    } catch (error) {
      log(`route ${routeKey} failed: ${(error as Error).message}`);
      this.send(connection, JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId }));
    }
  }

  /** API Gateway as Lambda's resource policy sees it: the route's or authorizer's ARN. */
  private invoker(sourceArn: string): Invoker {
    return serviceInvoker('apigateway.amazonaws.com', sourceArn, this.options.stage.accountId);
  }

  private send(connection: LiveConnection, text: string): void {
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(text);
  }

  private closed(connection: LiveConnection, code: number, reason: string): void {
    this.connections.closed(connection);
    const disconnect = this.options.routes.disconnect;
    if (!disconnect || connection.disconnectLost) return;
    void this.options.lambda
      .invoke(disconnect.functionRef, disconnectEvent(this.options.stage, connection, code, reason), this.invoker(methodArn(this.options.stage, '$disconnect')))
      .catch((error: Error) => this.options.log(`$disconnect failed: ${error.message}`));
  }

  async stop(): Promise<void> {
    this.connections.closeAll();
    this.server.close();
  }
}
