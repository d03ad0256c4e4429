import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { LambdaService } from '../lambda/lambda-service';
import { FunctionError } from '../lambda/lambda-service';

/** API Gateway's frame size limit: a larger frame closes the connection with 1009. */
const MAX_FRAME_BYTES = 32 * 1024;
/** API Gateway's limit for a PostToConnection payload. */
const MAX_POST_BYTES = 128 * 1024;

export interface RouteTarget {
  /** The function the route's integration invokes, by logical id. */
  readonly functionRef: string;
  /** Whether the route has a route response, which sends the integration's `body` back. */
  readonly returnResponse: boolean;
}

export interface ConnectAuthorizer {
  readonly functionRef: string;
  /** Identity sources such as `route.request.querystring.token`; a missing one refuses with 401. */
  readonly identitySources: readonly string[];
}

/** The API's routes as the template declares them. */
export interface GatewayRoutes {
  readonly routeSelectionExpression: string;
  readonly connect?: RouteTarget & { readonly authorizer?: ConnectAuthorizer };
  readonly disconnect?: RouteTarget;
  readonly byKey: ReadonlyMap<string, RouteTarget>;
}

export interface GatewayOptions {
  readonly apiId: string;
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  /** `host:port` clients reach, as `requestContext.domainName`. */
  readonly domainName: string;
  readonly idleTimeoutMs: number;
  readonly maxConnectionMs: number;
  readonly routes: GatewayRoutes;
  readonly lambda: LambdaService;
  readonly log: (message: string) => void;
}

interface LiveConnection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly authorizer?: Record<string, unknown>;
  idleTimer?: NodeJS.Timeout;
  readonly lifetimeTimer: NodeJS.Timeout;
  /** Set when the connection is dropped as if API Gateway's `$disconnect` were lost. */
  disconnectLost?: boolean;
}

function newConnectionId(): string {
  // API Gateway's ids are short base64 strings, often with '=': clients must URL-encode them.
  return randomBytes(10).toString('base64');
}

function lowerCaseHeaders(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]),
  );
}

function multiValue(record: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, [value]]));
}

function refuseHandshake(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error' };

/** What a Lambda proxy integration's result says the status is. */
function statusOf(result: unknown): number {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const status = Number((result as { statusCode: unknown }).statusCode);
    if (Number.isInteger(status)) return status;
  }
  return 200;
}

function bodyOf(result: unknown): string | undefined {
  if (typeof result === 'object' && result !== null && 'body' in result) {
    const body = (result as { body: unknown }).body;
    return typeof body === 'string' ? body : body === undefined || body === null ? undefined : JSON.stringify(body);
  }
  return undefined;
}

/** Allowed when an Allow statement covers the method ARN and no Deny statement does. */
function policyAllows(result: unknown, methodArn: string): boolean {
  const statements = (result as { policyDocument?: { Statement?: unknown } })?.policyDocument?.Statement;
  if (!Array.isArray(statements)) return false;
  const covers = (resource: unknown) =>
    (Array.isArray(resource) ? resource : [resource]).some(
      (pattern) =>
        typeof pattern === 'string' &&
        new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(methodArn),
    );
  const matching = statements.filter(
    (statement) =>
      covers(statement?.Resource) &&
      [statement?.Action].flat().some((action: unknown) => action === 'execute-api:Invoke' || action === '*' || action === 'execute-api:*'),
  );
  return matching.some((statement) => statement.Effect === 'Allow') && !matching.some((statement) => statement.Effect === 'Deny');
}

/**
 * The local stand-in for an API Gateway WebSocket API: the handshake with its REQUEST
 * authorizer and `$connect`, route selection on each frame, route responses, `$disconnect`,
 * the frame, idle and lifetime limits, and the `@connections` management API.
 */
export class WebSocketGateway {
  private readonly connections = new Map<string, LiveConnection>();
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  constructor(private readonly options: GatewayOptions) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  private requestContext(
    connectionId: string,
    eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
    routeKey: string,
    connectedAt: number,
    identity: { sourceIp: string; userAgent: string },
  ): Record<string, unknown> {
    const now = Date.now();
    const requestId = randomUUID();
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: this.options.stage,
      connectedAt,
      requestTimeEpoch: now,
      identity,
      requestId,
      domainName: this.options.domainName,
      connectionId,
      apiId: this.options.apiId,
    };
  }

  private methodArn(routeKey: string): string {
    const { region, accountId, apiId, stage } = this.options;
    return `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${routeKey}`;
  }

  /** Runs the handshake: authorizer, then `$connect`; only a 2xx from both opens the socket. */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const connect = this.options.routes.connect;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const headers = lowerCaseHeaders(request);
    const identity = { sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' };
    const connectionId = newConnectionId();
    const connectedAt = Date.now();
    const baseEvent = {
      headers,
      multiValueHeaders: multiValue(headers),
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: Object.keys(query).length > 0 ? multiValue(query) : null,
      isBase64Encoded: false,
    };

    let authorizerContext: Record<string, unknown> | undefined;
    if (connect?.authorizer) {
      const missing = connect.authorizer.identitySources.some((source) => {
        const [, , location, name] = source.split('.');
        const value = location === 'querystring' ? query[name] : location === 'header' ? headers[name.toLowerCase()] : undefined;
        return value === undefined || value === '';
      });
      if (missing) return refuseHandshake(socket, 401, STATUS_TEXT[401]);
      let result: unknown;
      try {
        result = await this.options.lambda.invoke(connect.authorizer.functionRef, {
          type: 'REQUEST',
          methodArn: this.methodArn('$connect'),
          ...baseEvent,
          stageVariables: {},
          requestContext: this.requestContext(connectionId, 'CONNECT', '$connect', connectedAt, identity),
        });
      } catch (error) {
        if (error instanceof FunctionError && error.errorMessage === 'Unauthorized') {
          return refuseHandshake(socket, 401, STATUS_TEXT[401]);
        }
        this.options.log(`authorizer failed: ${(error as Error).message}`);
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
      if (!policyAllows(result, this.methodArn('$connect'))) return refuseHandshake(socket, 403, STATUS_TEXT[403]);
      const context = (result as { context?: Record<string, unknown> }).context ?? {};
      if (Object.values(context).some((value) => typeof value === 'object' && value !== null)) {
        this.options.log('authorizer context holds a non-primitive value, which API Gateway rejects');
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
      authorizerContext = { ...context, principalId: (result as { principalId?: unknown }).principalId, integrationLatency: 0 };
    }

    if (connect) {
      try {
        const result = await this.options.lambda.invoke(connect.functionRef, {
          ...baseEvent,
          requestContext: {
            ...this.requestContext(connectionId, 'CONNECT', '$connect', connectedAt, identity),
            ...(authorizerContext ? { authorizer: authorizerContext } : {}),
          },
        });
        const status = statusOf(result);
        if (status < 200 || status > 299) return refuseHandshake(socket, status, STATUS_TEXT[status] ?? 'Refused');
      } catch (error) {
        this.options.log(`$connect failed: ${(error as Error).message}`);
        return refuseHandshake(socket, 500, STATUS_TEXT[500]);
      }
    }

    this.server.handleUpgrade(request, socket, head, (ws) => this.open(ws, connectionId, connectedAt, identity, authorizerContext));
  }

  private open(
    socket: WebSocket,
    id: string,
    connectedAt: number,
    identity: { sourceIp: string; userAgent: string },
    authorizer?: Record<string, unknown>,
  ): void {
    const connection: LiveConnection = {
      id,
      socket,
      connectedAt,
      lastActiveAt: connectedAt,
      ...identity,
      authorizer,
      lifetimeTimer: setTimeout(() => socket.close(1001, 'Going away'), this.options.maxConnectionMs),
    };
    this.connections.set(id, connection);
    this.resetIdleTimer(connection);

    socket.on('message', (data, isBinary) => {
      connection.lastActiveAt = Date.now();
      this.resetIdleTimer(connection);
      void this.route(connection, data, isBinary);
    });
    socket.on('close', (code, reason) => this.closed(connection, code, reason.toString()));
    socket.on('error', (error) => this.options.log(`connection ${id}: ${error.message}`));
  }

  private resetIdleTimer(connection: LiveConnection): void {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => connection.socket.close(1001, 'Going away'), this.options.idleTimeoutMs);
  }

  private selectRoute(body: string, isBinary: boolean): string {
    if (!isBinary) {
      const field = this.options.routes.routeSelectionExpression.match(/^\$request\.body\.(.+)$/)?.[1];
      try {
        const frame = JSON.parse(body) as unknown;
        let value: unknown = frame;
        for (const key of field?.split('.') ?? []) value = (value as Record<string, unknown> | null)?.[key];
        if (typeof value === 'string' && this.options.routes.byKey.has(value)) return value;
      } catch {
        // Not JSON: the frame goes to $default, as in API Gateway.
      }
    }
    return '$default';
  }

  private async route(connection: LiveConnection, data: RawData, isBinary: boolean): Promise<void> {
    const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const body = isBinary ? raw.toString('base64') : raw.toString('utf8');
    const routeKey = this.selectRoute(body, isBinary);
    const target = this.options.routes.byKey.get(routeKey);
    const context = this.requestContext(connection.id, 'MESSAGE', routeKey, connection.connectedAt, {
      sourceIp: connection.sourceIp,
      userAgent: connection.userAgent,
    });
    if (target === undefined) {
      this.send(connection, JSON.stringify({ message: 'Forbidden', connectionId: connection.id, requestId: context.requestId }));
      return;
    }
    try {
      const result = await this.options.lambda.invoke(target.functionRef, {
        requestContext: { ...context, messageId: randomBytes(8).toString('base64'), ...(connection.authorizer ? { authorizer: connection.authorizer } : {}) },
        body,
        isBase64Encoded: isBinary,
      });
      const reply = target.returnResponse ? bodyOf(result) : undefined;
      if (reply !== undefined && reply !== '') this.send(connection, reply);
    } catch (error) {
      this.options.log(`route ${routeKey} failed: ${(error as Error).message}`);
      this.send(
        connection,
        JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId: context.requestId }),
      );
    }
  }

  private send(connection: LiveConnection, text: string): void {
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(text);
  }

  private closed(connection: LiveConnection, code: number, reason: string): void {
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.lifetimeTimer);
    this.connections.delete(connection.id);
    const disconnect = this.options.routes.disconnect;
    if (!disconnect || connection.disconnectLost) return;
    const headers = { Host: this.options.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
    void this.options.lambda
      .invoke(disconnect.functionRef, {
        headers,
        multiValueHeaders: multiValue(headers),
        requestContext: {
          ...this.requestContext(connection.id, 'DISCONNECT', '$disconnect', connection.connectedAt, {
            sourceIp: connection.sourceIp,
            userAgent: connection.userAgent,
          }),
          disconnectStatusCode: code,
          disconnectReason: reason,
          ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
        },
        isBase64Encoded: false,
      })
      .catch((error: Error) => this.options.log(`$disconnect failed: ${error.message}`));
  }

  /**
   * The `@connections` management API at `/{stage}/@connections/{id}`: POST sends, GET
   * describes, DELETE closes; a connection that is not open answers 410 GoneException.
   */
  async handleManagementRequest(request: IncomingMessage, response: ServerResponse, encodedId: string): Promise<void> {
    const fail = (status: number, type: string, message: string) => {
      response.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type });
      response.end(JSON.stringify({ message }));
    };
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(encodedId);
    } catch {
      return fail(400, 'BadRequestException', 'Invalid connection id');
    }
    const connection = this.connections.get(connectionId);
    if (connection === undefined || connection.socket.readyState !== WebSocket.OPEN) {
      return fail(410, 'GoneException', `Connection ${connectionId} is gone`);
    }
    switch (request.method) {
      case 'POST': {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of request) {
          size += (chunk as Buffer).length;
          if (size > MAX_POST_BYTES) return fail(413, 'PayloadTooLargeException', 'Data exceeds 128 KB');
          chunks.push(chunk as Buffer);
        }
        connection.socket.send(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200, { 'Content-Type': 'application/json' });
        return void response.end();
      }
      case 'GET':
        response.writeHead(200, { 'Content-Type': 'application/json' });
        return void response.end(
          JSON.stringify({
            connectedAt: new Date(connection.connectedAt).toISOString(),
            identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
            lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          }),
        );
      case 'DELETE':
        connection.socket.close(1000, 'Closed by the server');
        response.writeHead(204);
        return void response.end();
      default:
        return fail(405, 'MethodNotAllowedException', `${request.method} is not supported`);
    }
  }

  /** Closes every connection, as a gateway going down would. */
  /**
   * Cuts a user's connections without running `$disconnect`, as when API Gateway's best-effort
   * `$disconnect` is lost: what becomes of their records (and presence) is then up to the stack.
   * Returns how many were cut.
   */
  dropWithoutDisconnect(userId: string): number {
    let dropped = 0;
    for (const connection of this.connections.values()) {
      if (connection.authorizer?.userId !== userId) continue;
      connection.disconnectLost = true;
      connection.socket.terminate();
      dropped += 1;
    }
    return dropped;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections.values()) connection.socket.close(1001, 'Going away');
    this.server.close();
  }
}
