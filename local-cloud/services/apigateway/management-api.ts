import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionRegistry } from './connections';

/** API Gateway's limit for a PostToConnection payload. */
export const MAX_POST_BYTES = 128 * 1024;

/** The management API's path: `/{stage}/@connections/{connectionId}`. */
export const MANAGEMENT_PATH = /^\/([^/]+)\/@connections\/([^/]+)$/;

/**
 * The `@connections` management API: POST sends, GET describes, DELETE closes; a connection that
 * is not open answers 410 GoneException.
 */
export async function handleManagementRequest(
  request: IncomingMessage,
  response: ServerResponse,
  encodedId: string,
  connections: ConnectionRegistry,
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
