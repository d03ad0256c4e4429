/**
 * An HTTP proxy in front of one stand-in that enforces IAM: each request is read whole (its body
 * says what it touches), checked, and either answered with the service's own refusal or sent on
 * unchanged over kept-alive connections, the stand-in's answer streamed back as it comes.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequestView, IamService } from './classify';
import type { EnforcerView } from './enforcer';

export interface IamProxyOptions {
  /** The stand-in, `http://127.0.0.1:PORT`. */
  readonly upstream: string;
  readonly service: IamService;
  readonly enforcer: EnforcerView;
  /** Told of each refusal, so that a denied call is visible in the local cloud's log. */
  readonly log: (message: string) => void;
  /** Told of each call it let through, with the status the stand-in answered (CloudWatch's feeds). */
  readonly observe?: (call: ProxiedCall) => void;
}

/** A call a function made through the proxy, and the status it was answered with. */
export interface ProxiedCall {
  readonly service: IamService;
  readonly request: HttpRequestView;
  readonly status: number;
  /** Epoch ms of the answer. */
  readonly at: number;
}

export interface RunningIamProxy {
  /** Where functions send this service's calls: `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Lambda's payload limit; no SDK call a function makes is larger. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startIamProxy(options: IamProxyOptions): Promise<RunningIamProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true });

  const forward = (request: IncomingMessage, view: HttpRequestView, response: ServerResponse) => {
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers, agent },
      (answer) => {
        options.observe?.({ service: options.service, request: view, status: answer.statusCode ?? 502, at: Date.now() });
        response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(response);
      },
    );
    outgoing.on('error', (error) => {
      options.log(`IAM proxy for ${options.service}: ${upstream.origin} failed: ${error.message}`);
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end();
    });
    outgoing.end(view.body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    if (body === undefined) {
      response.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      return void response.end('request body over 6 MB');
    }
    const view: HttpRequestView = { method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, body };
    const verdict = options.enforcer.check(options.service, view);
    if (verdict.allowed) return forward(request, view, response);
    options.log(`IAM denied a ${options.service} call: ${verdict.reason}`);
    response.writeHead(verdict.response.status, { ...verdict.response.headers, 'content-length': Buffer.byteLength(verdict.response.body) });
    response.end(verdict.response.body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      options.log(`IAM proxy for ${options.service} failed: ${error.message}`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end();
    });
  });
  // Longer than the SDK's keep-alive, so that it never reuses a socket the proxy is closing.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
