import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import * as z from '../domain/schema';
import { BadRequestError, MessengerError } from '../domain/errors';
import { frameEnvelopeSchema } from '../../protocol/client-frames';
import { deviceIdSchema, userIdSchema } from '../../protocol/fields';
import { describeIssues, errorFrame, reqIdOf, type ServerFrame } from '../domain/protocol';
import { logger, metrics } from './observability';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

/** A WebSocket event of API Gateway, with the authorizer context it attaches to every event. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer?: unknown };
};

/** The authorizer's context (see `handlers/authorizer.ts`), as it arrives on later events. */
const authorizerContextSchema = z.object({
  userId: userIdSchema,
  deviceId: z.optional(deviceIdSchema),
  // Epoch seconds; API Gateway may hand a context number on as a string.
  tokenExpiresAt: z.optional(z.coerce.number().check(z.int(), z.positive())),
});

export interface ConnectionCaller {
  readonly userId: string;
  readonly connectionId: string;
  readonly deviceId?: string;
  /** When the token the connection opened with expires (epoch seconds), as the authorizer saw it. */
  readonly tokenExpiresAt?: number;
}

/** Who sent the event. A missing or malformed authorizer context is a wiring fault, not a client error. */
export function callerOf(event: WebSocketEvent): ConnectionCaller {
  const context = authorizerContextSchema.safeParse(event.requestContext.authorizer);
  if (!context.success) {
    throw new Error(`authorizer context missing or invalid: ${describeIssues(context.error)}`);
  }
  const caller = { ...context.data, connectionId: event.requestContext.connectionId };
  logger.appendKeys({ userId: caller.userId, connectionId: caller.connectionId });
  return caller;
}

/** One client action: the schema of its frame and what it does. */
export interface Action<Schema extends z.ZodMiniType> {
  readonly schema: Schema;
  /** Returns the reply to the calling connection, or nothing when the action posted its own. */
  readonly run: (frame: z.infer<Schema>, caller: ConnectionCaller) => Promise<ServerFrame | undefined>;
}

/** Declares an action with its frame type inferred from its schema. */
export function action<Schema extends z.ZodMiniType>(
  schema: Schema,
  run: (frame: z.infer<Schema>, caller: ConnectionCaller) => Promise<ServerFrame | undefined>,
): Action<Schema> {
  return { schema, run };
}

function reply(frame: ServerFrame): APIGatewayProxyResult {
  return { statusCode: 200, body: JSON.stringify(frame) };
}

function parseFrame(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    throw new BadRequestError('frame is not valid JSON');
  }
}

/**
 * A handler for MESSAGE routes: parses the frame, validates it against its action's schema, runs
 * the action and returns its reply as the route response, echoing `reqId`. Every failure becomes
 * an error frame: client mistakes with their own message, anything else as `internal`, logged here
 * and never described to the client.
 */
export interface RouterOptions {
  /** Called for every frame of a known caller, before the action: keeps the connection counted as live. */
  readonly onActivity?: (caller: ConnectionCaller) => Promise<void>;
}

export function actionRouter(
  actions: Record<string, Action<z.ZodMiniType>>,
  options: RouterOptions = {},
): (event: WebSocketEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    let frame: unknown;
    let activity: Promise<void> | undefined;
    try {
      const caller = callerOf(event);
      frame = parseFrame(event.body);
      // Beside the action, not before it: keeping the connection live must not add a round trip.
      activity = options.onActivity?.(caller);
      const envelope = frameEnvelopeSchema.safeParse(frame);
      if (!envelope.success) throw new BadRequestError(describeIssues(envelope.error));
      const { action: name, reqId } = envelope.data;
      logger.appendKeys({ action: name });
      const handler = Object.hasOwn(actions, name) ? actions[name] : undefined;
      if (handler === undefined) throw new BadRequestError(`unknown action "${name}"`);
      const parsed = handler.schema.safeParse(frame);
      if (!parsed.success) throw new BadRequestError(describeIssues(parsed.error));
      const { threadId } = parsed.data as { threadId?: unknown };
      if (typeof threadId === 'string') logger.appendKeys({ threadId });
      const [result] = await Promise.all([handler.run(parsed.data, caller), activity]);
      if (result === undefined) return { statusCode: 200, body: '' };
      return reply(reqId === undefined ? result : { ...result, reqId });
    } catch (error) {
      // A refresh still in flight when the action failed is waited for, and its own failure only logged.
      await activity?.catch((activityError: Error) => logger.warn('connection refresh failed', { error: activityError }));
      const reqId = reqIdOf(frame);
      if (error instanceof MessengerError) {
        metrics.addMetric('ClientErrors', MetricUnit.Count, 1);
        logger.info('frame rejected', { code: error.code, reason: error.message });
        return reply(errorFrame(error.code, error.message, reqId));
      }
      metrics.addMetric('InternalErrors', MetricUnit.Count, 1);
      logger.error('action failed', error as Error);
      return reply(errorFrame('internal', 'something went wrong on our side; try again', reqId));
    }
  };
}
