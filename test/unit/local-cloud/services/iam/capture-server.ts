/** A local HTTP server that records the requests an AWS SDK client sends and answers as told. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequestView } from '../../../../../local-cloud/services/iam/classify';
import type { DenialResponse } from '../../../../../local-cloud/services/iam/denials';

export interface CaptureServer {
  readonly endpoint: string;
  readonly requests: HttpRequestView[];
  /** What the next requests are answered with. */
  answer: DenialResponse;
  close(): Promise<void>;
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const requests: HttpRequestView[] = [];
  let server: Server;
  const capture: CaptureServer = {
    endpoint: '',
    requests,
    answer: { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    requests.push({ method: request.method!, path: request.url!, headers: request.headers, body: Buffer.concat(chunks) });
    response.writeHead(capture.answer.status, capture.answer.headers);
    response.end(capture.answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (capture as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return capture;
}
