import type { IncomingMessage, Server, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 6 * 1024 * 1024;
export const USER_RULE = 'user must be 1-64 characters of A-Z, a-z, 0-9, _ or -';

export function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} of ${address} is already taken by another program; set PORT to a free one`)
          : error,
      ),
    );
    server.listen(port, address, () => resolve());
  });
}

/** A request's body, refused beyond Lambda's 6 MB payload limit. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError('request body over 6 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A `/dev` answer: JSON, never cached. */
export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** The `user` query parameter, if it is a valid user id. */
export function userParameter(url: URL): string | undefined {
  const user = url.searchParams.get('user');
  return user !== null && /^[A-Za-z0-9_-]{1,64}$/.test(user) ? user : undefined;
}

/** The answer to a path nothing serves. */
export function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ message: 'Not found' }));
}
