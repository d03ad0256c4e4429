import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Route selection and the events API Gateway hands a WebSocket API's Lambda integrations and
 * REQUEST authorizer, shaped as in the API Gateway developer guide (see the fixtures of
 * test/unit/local-cloud). Pure functions: what a socket did goes in, the event comes out.
 */

/** The stage that receives the events, as `requestContext` and `methodArn` name it. */
export interface StageIdentity {
  readonly apiId: string;
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  /** `host:port` clients reach, as `requestContext.domainName`. */
  readonly domainName: string;
}

export interface RequestIdentity {
  readonly sourceIp: string;
  readonly userAgent: string;
}

/** What the handshake request carried, as every `$connect` event repeats it. */
export interface HandshakeRequest {
  /** Header names as the client sent them (API Gateway keeps their case). */
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly queryStringParameters: Record<string, string> | null;
  readonly multiValueQueryStringParameters: Record<string, string[]> | null;
  readonly identity: RequestIdentity;
}

/** A connection as the events of its later routes describe it. */
export interface ConnectionFacts {
  readonly id: string;
  readonly connectedAt: number;
  readonly identity: RequestIdentity;
  /** The authorizer's context with `principalId` and `integrationLatency`, as `requestContext.authorizer`. */
  readonly authorizer?: Record<string, unknown>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const twoDigits = (value: number) => String(value).padStart(2, '0');

/** `requestContext.requestTime`: `19/Jan/2023:21:13:26 +0000`, as API Gateway writes it. */
export function requestTime(epochMs: number): string {
  const at = new Date(epochMs);
  return (
    `${twoDigits(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:` +
    `${twoDigits(at.getUTCHours())}:${twoDigits(at.getUTCMinutes())}:${twoDigits(at.getUTCSeconds())} +0000`
  );
}

export function methodArn(stage: StageIdentity, routeKey: string): string {
  return `arn:aws:execute-api:${stage.region}:${stage.accountId}:${stage.apiId}/${stage.stage}/${routeKey}`;
}

/** The `requestContext` every event carries. */
export interface RequestContext {
  readonly routeKey: string;
  readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  readonly extendedRequestId: string;
  readonly requestTime: string;
  readonly messageDirection: 'IN';
  readonly stage: string;
  readonly connectedAt: number;
  readonly requestTimeEpoch: number;
  readonly identity: RequestIdentity;
  readonly requestId: string;
  readonly domainName: string;
  readonly connectionId: string;
  readonly apiId: string;
}

export function requestContext(
  stage: StageIdentity,
  connectionId: string,
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
  routeKey: string,
  connectedAt: number,
  identity: RequestIdentity,
  now = Date.now(),
): RequestContext {
  const requestId = randomUUID();
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: requestTime(now),
    messageDirection: 'IN',
    stage: stage.stage,
    connectedAt,
    requestTimeEpoch: now,
    identity,
    requestId,
    domainName: stage.domainName,
    connectionId,
    apiId: stage.apiId,
  };
}

function multiValue(record: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, [value]]));
}

/** Reads a handshake: headers (in the client's case; repeats joined with commas), query, caller. */
export function readHandshake(url: string, rawHeaders: readonly string[], sourceIp: string | undefined): HandshakeRequest {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const [name, value] = [rawHeaders[i], rawHeaders[i + 1]];
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query = Object.fromEntries(new URL(url, 'http://localhost').searchParams);
  const hasQuery = Object.keys(query).length > 0;
  return {
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValue(query) : null,
    identity: { sourceIp: sourceIp ?? '127.0.0.1', userAgent: headerValue(headers, 'user-agent') ?? '' },
  };
}

/** A header by name, whatever its case (HTTP header names are case-insensitive). */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(headers).find(([candidate]) => candidate.toLowerCase() === wanted)?.[1];
}

function handshakeFields(handshake: HandshakeRequest) {
  const { headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters } = handshake;
  return { headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters };
}

/** The REQUEST authorizer's input on `$connect`. */
export function authorizerEvent(stage: StageIdentity, handshake: HandshakeRequest, connectionId: string, connectedAt: number) {
  return {
    type: 'REQUEST',
    methodArn: methodArn(stage, '$connect'),
    ...handshakeFields(handshake),
    stageVariables: {},
    requestContext: requestContext(stage, connectionId, 'CONNECT', '$connect', connectedAt, handshake.identity),
  };
}

/** The `$connect` integration's input, with the authorizer's context if there is an authorizer. */
export function connectEvent(stage: StageIdentity, handshake: HandshakeRequest, connection: ConnectionFacts) {
  return {
    ...handshakeFields(handshake),
    requestContext: {
      ...requestContext(stage, connection.id, 'CONNECT', '$connect', connection.connectedAt, connection.identity),
      ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
    },
    isBase64Encoded: false,
  };
}

/** A frame's route integration input; a binary frame's body is base64. */
export function messageEvent(stage: StageIdentity, connection: ConnectionFacts, routeKey: string, body: string, isBase64Encoded: boolean) {
  return {
    requestContext: {
      ...requestContext(stage, connection.id, 'MESSAGE', routeKey, connection.connectedAt, connection.identity),
      messageId: randomBytes(8).toString('base64'),
      ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
    },
    body,
    isBase64Encoded,
  };
}

/** The `$disconnect` integration's input: the close code and reason, and the headers API Gateway sends. */
export function disconnectEvent(stage: StageIdentity, connection: ConnectionFacts, statusCode: number, reason: string) {
  const headers = { Host: stage.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
  return {
    headers,
    multiValueHeaders: multiValue(headers),
    requestContext: {
      ...requestContext(stage, connection.id, 'DISCONNECT', '$disconnect', connection.connectedAt, connection.identity),
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
      ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
    },
    isBase64Encoded: false,
  };
}

/**
 * The route a frame takes: the value the selection expression (`$request.body.action`) picks
 * out of a JSON text frame if a route has that key, else `$default` (binary, not JSON, no match).
 */
export function selectRoute(selectionExpression: string, routeKeys: ReadonlySet<string> | ReadonlyMap<string, unknown>, body: string, isBinary: boolean): string {
  if (!isBinary) {
    const field = selectionExpression.match(/^\$request\.body\.(.+)$/)?.[1];
    try {
      let value: unknown = JSON.parse(body);
      for (const key of field?.split('.') ?? []) value = (value as Record<string, unknown> | null)?.[key];
      if (typeof value === 'string' && routeKeys.has(value)) return value;
    } catch {
      // Not JSON: the frame goes to $default, as in API Gateway.
    }
  }
  return '$default';
}

/** The status a Lambda proxy integration's result gives: its `statusCode`, else 200. */
export function statusOf(result: unknown): number {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const status = Number((result as { statusCode: unknown }).statusCode);
    if (Number.isInteger(status)) return status;
  }
  return 200;
}

/**
 * The subprotocol a `$connect` integration's response selects: its `Sec-WebSocket-Protocol` header
 * (any case), which API Gateway puts on the handshake's answer. Undefined when it sets none.
 */
export function selectedSubprotocolOf(result: unknown): string | undefined {
  const headers = typeof result === 'object' && result !== null ? (result as { headers?: unknown }).headers : undefined;
  if (typeof headers !== 'object' || headers === null) return undefined;
  const value = headerValue(headers as Record<string, string>, 'sec-websocket-protocol');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The `body` a route response sends back to the client, if the result has one. */
export function bodyOf(result: unknown): string | undefined {
  if (typeof result === 'object' && result !== null && 'body' in result) {
    const body = (result as { body: unknown }).body;
    return typeof body === 'string' ? body : body === undefined || body === null ? undefined : JSON.stringify(body);
  }
  return undefined;
}
