import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress } from './bind-address';

/** Host names that reach this machine's loopback interface, where the local cloud listens. */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** Whether a path is one of the local cloud's `/dev` endpoints, which act as any user and drive the cloud. */
export function isDevPath(pathname: string): boolean {
  return pathname === '/dev' || pathname.startsWith('/dev/');
}

/**
 * Why a request to an endpoint that only this machine may call (`/dev`, `@connections`, whose
 * local keys are public) is refused when it comes from another machine (`LOCAL_BIND_ADDRESS`
 * beyond loopback), or undefined. Host and Origin do not tell: any client can write them.
 */
export function remotePeerRefusal(request: IncomingMessage): string | undefined {
  const peer = request.socket.remoteAddress;
  return isLoopbackAddress(peer) ? undefined : `request from ${peer ?? 'an unknown address'} refused: this endpoint answers this machine only`;
}

/**
 * Why a request to a `/dev` endpoint is refused, or undefined to let it through. `/dev/invoke`
 * runs any function with any event, `/dev/token` signs tokens for anyone: they are for the
 * developer's own tools, never for a web page the developer happens to have open. So:
 *  - `Host` must name this local cloud (loopback, its port): a page on another site whose name
 *    was rebound to 127.0.0.1 (DNS rebinding) sends its own name;
 *  - `Origin`, which browsers send on every cross-origin request and every POST, must be absent
 *    (curl, Node.js, the tests) or this local cloud itself (its web messenger); `Sec-Fetch-Site`,
 *    when a browser sends it, must not say cross-site;
 *  - a POST, PUT, PATCH or DELETE with a body must say `Content-Type: application/json`: the
 *    types a page may send cross-site without asking first (text/plain, forms) are refused, and so
 *    is a body with no type at all, which `fetch` sends for a Blob or ArrayBuffer without asking first;
 *  - it must come from this machine (`remotePeerRefusal`).
 */
export function devRequestRefusal(request: IncomingMessage, port: number): string | undefined {
  const ownHosts = LOOPBACK_HOSTS.map((host) => `${host}:${port}`);
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !ownHosts.includes(host)) {
    return `Host ${host ?? '(none)'} is not this local cloud: /dev answers only ${ownHosts.join(', ')}`;
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !ownHosts.some((own) => origin.toLowerCase() === `http://${own}`)) {
    return `cross-site request from ${origin} refused: /dev is for this machine's tools and this local cloud's own pages`;
  }
  if (request.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request refused (Sec-Fetch-Site)';
  const contentType = request.headers['content-type'];
  const mayHaveBody = !['GET', 'HEAD', 'OPTIONS'].includes(request.method ?? 'GET');
  const isJson = contentType?.split(';')[0].trim().toLowerCase() === 'application/json';
  if (mayHaveBody && !isJson && (contentType !== undefined || hasBody(request))) {
    return `Content-Type ${contentType ?? '(none)'} refused: send a /dev request's body as JSON, with Content-Type: application/json`;
  }
  return remotePeerRefusal(request);
}

/** Whether a request carries a body: a length above zero, or chunks (HTTP/1.1's two ways to send one). */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
}
