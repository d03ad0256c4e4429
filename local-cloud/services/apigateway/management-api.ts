import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IamAccess } from '../iam/module';
import type { Log } from '../service';
import type { ConnectionRegistry } from './connections';
import { MAX_MESSAGE_BYTES, sendTextMessage } from './messages';
import type { GatewayTraffic } from './traffic';

/**
 * PostToConnection's answer to data over 128 KB, as the SDK's model of the API has it
 * (`@aws-sdk/client-apigatewaymanagementapi`): `PayloadTooLargeException`, HTTP 413, its one
 * member `Message` in the JSON body as `message` (AWS documents no text for it; this one is ours).
 */
const PAYLOAD_TOO_LARGE = { status: 413, type: 'PayloadTooLargeException', message: 'Data is over the 128 KB message quota' } as const;

/**
 * The failures the fault injector can make `@connections` answer (`/dev/faults`), each in the
 * shape API Gateway gives it, so that the SDK raises the same exception as on AWS: `GoneException`
 * and `LimitExceededException` as modelled in the Management API (410, 429), and API Gateway's
 * generic 500, which the SDK raises as a service exception of that name and, like the 429, retries.
 */
export const INJECTABLE_ANSWERS = {
  410: { type: 'GoneException', message: 'Gone' },
  429: { type: 'LimitExceededException', message: 'Too Many Requests' },
  500: { type: 'InternalServerErrorException', message: 'Internal server error' },
} as const;
export type InjectableStatus = keyof typeof INJECTABLE_ANSWERS;

/** Decides whether a `@connections` call gets an injected failure instead of its real answer. */
export interface ConnectionFaults {
  injectedAnswer(call: { readonly connectionId: string; readonly userId?: string; readonly method: string }): InjectableStatus | undefined;
}

/** The management API's path: `/{stage}/@connections/{connectionId}`. */
export const MANAGEMENT_PATH = /^\/([^/]+)\/@connections\/([^/]+)$/;

/**
 * Whether the caller's role allows `execute-api:ManageConnections` on this connection; if not,
 * answers as API Gateway does. (The body is not read: the action and resource are in the path.)
 */
export function allowedByIam(iam: IamAccess, request: IncomingMessage, response: ServerResponse, log: Log): boolean {
  const verdict = iam.check('execute-api', { method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, body: Buffer.alloc(0) });
  if (verdict.allowed) return true;
  log(`IAM denied an @connections call: ${verdict.reason}`);
  response.writeHead(verdict.response.status, verdict.response.headers);
  response.end(verdict.response.body);
  return false;
}

/**
 * The `@connections` management API: POST sends, GET describes, DELETE closes; a connection that
 * is not open answers 410 GoneException.
 */
export async function handleManagementRequest(
  request: IncomingMessage,
  response: ServerResponse,
  encodedId: string,
  connections: ConnectionRegistry,
  faults?: ConnectionFaults,
  traffic?: GatewayTraffic,
): Promise<void> {
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
  const connection = connections.openConnection(connectionId);
  if (connection === undefined) return fail(410, 'GoneException', `Connection ${connectionId} is gone`);
  const userId = connection.authorizer?.userId;
  const injected = faults?.injectedAnswer({ connectionId, userId: typeof userId === 'string' ? userId : undefined, method: request.method ?? 'GET' });
  if (injected !== undefined) {
    // Read to the end, so that the caller gets the answer on a connection it can keep using.
    for await (const _chunk of request);
    return fail(injected, INJECTABLE_ANSWERS[injected].type, INJECTABLE_ANSWERS[injected].message);
  }
  switch (request.method) {
    case 'POST': {
      // The whole body is read even when too large, so that the caller gets the answer, not a reset.
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size <= MAX_MESSAGE_BYTES) chunks.push(chunk as Buffer);
      }
      if (size > MAX_MESSAGE_BYTES) return fail(PAYLOAD_TOO_LARGE.status, PAYLOAD_TOO_LARGE.type, PAYLOAD_TOO_LARGE.message);
      sendTextMessage(connection.socket, Buffer.concat(chunks).toString('utf8'));
      traffic?.emit({ kind: 'message', at: Date.now() });
      response.writeHead(200, { 'Content-Type': 'application/json' });
      return void response.end();
    }
    case 'GET':
      response.writeHead(200, { 'Content-Type': 'application/json' });
      return void response.end(
        JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          identity: connection.identity,
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
