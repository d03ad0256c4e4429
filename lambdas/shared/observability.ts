import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { mapStacksToSource } from './source-mapped-stacks';

// Every function loads this module: its bundle's stacks name the TypeScript source from here on.
mapStacksToSource(__filename);

/** One logger and one metrics buffer per execution environment, as Powertools intends. */
export const logger = new Logger();
export const metrics = new Metrics();

/**
 * Wraps a handler so that every invocation logs with the Lambda context, emits a cold-start
 * metric once, flushes its metrics at the end and drops per-invocation log keys.
 */
export function instrumented<Event, Result>(
  handler: (event: Event, context: Context) => Promise<Result>,
): (event: Event, context: Context) => Promise<Result> {
  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric(context.functionName);
    try {
      return await handler(event, context);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
