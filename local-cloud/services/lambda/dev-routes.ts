import { json, readBody } from '../../http';
import type { HttpRoute } from '../service';
import { FunctionError, InvocationRefused, type LambdaService } from './lambda-service';
import type { Meter } from './metering';
import { OPERATOR } from './resource-policy';

/**
 * Lambda's `/dev` endpoints: the functions as they run here, what they did since the last reset
 * (invocations, SDK calls, log volume, as the benchmark reads them), what became of asynchronous
 * invocations (`/dev/async`: queued, retried, retained in a destination, dropped), and Lambda's
 * Invoke. `/dev/invoke` is the operator's `aws lambda invoke` with administrator credentials:
 * it bypasses the functions' resource policies, which only bind AWS services.
 */
export function lambdaDevRoutes(meter: Meter, lambda: () => LambdaService | undefined): HttpRoute[] {
  return [
    { path: '/dev/functions', handle: (_request, response) => json(response, 200, { functions: lambda()?.functions() ?? [] }) },
    { path: '/dev/async', handle: (_request, response) => json(response, 200, { functions: lambda()?.asyncCounts() ?? {} }) },
    { path: '/dev/stats', handle: (_request, response) => json(response, 200, meter.snapshot()) },
    {
      path: '/dev/stats/reset',
      handle: (request, response) => {
        if (request.method !== 'POST') return json(response, 405, { message: 'use POST /dev/stats/reset' });
        meter.reset();
        return json(response, 200, { reset: true });
      },
    },
    {
      path: '/dev/invoke',
      handle: async (request, response, url) => {
        if (request.method !== 'POST') {
          return json(response, 405, { message: 'use POST /dev/invoke?function=<logical id, name or ARN> with the event as body' });
        }
        const functionRef = url.searchParams.get('function');
        if (!functionRef) return json(response, 400, { message: 'function is required, e.g. POST /dev/invoke?function=MessagePipelinePersist…' });
        let event: unknown;
        try {
          event = JSON.parse(await readBody(request));
        } catch (error) {
          return json(response, 400, { message: `the body must be the event as JSON: ${(error as Error).message}` });
        }
        const service = lambda();
        if (service === undefined) return json(response, 503, { message: 'starting' });
        try {
          return json(response, 200, { result: await service.invoke(functionRef, event, OPERATOR) });
        } catch (error) {
          if (error instanceof FunctionError) return json(response, 200, { functionError: error.errorType, message: error.errorMessage });
          if (error instanceof InvocationRefused) return json(response, error.status, { message: error.message });
          throw error;
        }
      },
    },
  ];
}
