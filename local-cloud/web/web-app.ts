import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { buildWebApp, type WebAsset } from '../../web/build';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/** What the page learns from the server it is served by. */
export interface WebAppSettings {
  /** The gateway closes a connection without client frames for this long; the page pings well within it. */
  readonly idleTimeoutSeconds: number;
}

/** The page may load only its own scripts and styles, and talk only to its own origin (WebSocket included). */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The web messenger as the local cloud serves it at `/`: built once at start into memory, then
 * answered from there. Only the built files exist for it, so no request path can reach anything
 * else on disk; only GET and HEAD are answered.
 */
export class WebApp {
  private constructor(private readonly assets: ReadonlyMap<string, WebAsset>) {}

  static async build(settings: WebAppSettings): Promise<WebApp> {
    const config: WebAsset = {
      urlPath: '/config.json',
      // Half the idle limit: one lost ping still leaves time for the next.
      contents: Buffer.from(JSON.stringify({ keepAliveMs: (settings.idleTimeoutSeconds * 1000) / 2 })),
    };
    const assets = [...(await buildWebApp()), config];
    return new WebApp(new Map(assets.map((asset) => [asset.urlPath, asset])));
  }

  /** Answers a request for one of the web app's files; false when the path is not one (for the next handler). */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    const asset = this.assets.get(pathname === '/' ? '/index.html' : pathname);
    if (asset === undefined) return false;
    serveAsset(request, response, asset);
    return true;
  }
}

/**
 * Answers GET or HEAD with a built file held in memory, under the page's security headers and its
 * type by extension; 405 for any other method. The local dashboard's page is served the same way.
 */
export function serveAsset(request: IncomingMessage, response: ServerResponse, asset: WebAsset): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ message: 'Method not allowed' }));
    return;
  }
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(asset.urlPath)] ?? 'application/octet-stream',
    'Content-Length': asset.contents.byteLength,
    // Rebuilt at every start: the browser asks again rather than keep an old build.
    'Cache-Control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  response.end(request.method === 'HEAD' ? undefined : asset.contents);
}
