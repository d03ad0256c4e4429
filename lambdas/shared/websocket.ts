import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import * as z from '../domain/schema';
import { BadRequestError, MessengerError } from '../domain/errors';
import { DEFAULT_FRAME_UNITS, RateLimitedError, purseOf, type BudgetName, type BudgetStore, type Purse } from '../domain/budget';
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

/**
 * What an action does: returns the reply to the calling connection, or nothing when it posted its
 * own. `purse` charges the caller's budget for what only a read tells (a group's members): the
 * action calls it after that read and before it writes.
 */
export type ActionRun<Frame> = (frame: Frame, caller: ConnectionCaller, purse: Purse) => Promise<ServerFrame | undefined>;

/** One client action: the schema of its frame, what it costs before it runs, and what it does. */
export interface Action<Schema extends z.ZodMiniType> {
  readonly schema: Schema;
  /** The caller's budget the frame's units are charged to. */
  readonly budget: BudgetName;
  /** Units charged to the caller's budget before the action runs (lambdas/domain/budget.ts). */
  readonly units: (frame: z.infer<Schema>) => number;
  readonly run: ActionRun<z.infer<Schema>>;
}

/**
 * Declares an action with its frame type inferred from its schema. Without `units`, each frame
 * costs `DEFAULT_FRAME_UNITS`: no action goes unmetered (but one that pays in its run); without `budget`, from `actions`.
 */
export function action<Schema extends z.ZodMiniType>(
  schema: Schema,
  run: ActionRun<z.infer<Schema>>,
  units: number | ((frame: z.infer<Schema>) => number) = DEFAULT_FRAME_UNITS,
  budget: BudgetName = 'actions',
): Action<Schema> {
  return { schema, run, units: typeof units === 'number' ? () => units : units, budget };
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
  /** The users' budgets, which every frame is charged to before its action writes anything (before it runs, or beside its first read for an action that pays in its run); over budget, nothing is written. */
  readonly budget: BudgetStore;
  /**
   * Called for every admitted frame of a known caller, beside its action: keeps the connection
   * counted as live. A frame refused over budget does not call it, so that it writes nothing.
   */
  readonly onActivity?: (caller: ConnectionCaller) => Promise<void>;
  /** Called for every frame refused over budget, before its reply: may close a connection that keeps flooding (domain/flood-guard.ts). */
  readonly onRefused?: (caller: ConnectionCaller) => Promise<void>;
}

/** The action a frame names, and the frame as its schema reads it. */
function planFrame(actions: Record<string, Action<z.ZodMiniType>>, frame: unknown): { handler: Action<z.ZodMiniType>; parsed: unknown; reqId?: string } {
  const envelope = frameEnvelopeSchema.safeParse(frame);
  if (!envelope.success) throw new BadRequestError(describeIssues(envelope.error));
  const { action: name, reqId } = envelope.data;
  logger.appendKeys({ action: name });
  const handler = Object.hasOwn(actions, name) ? actions[name] : undefined;
  if (handler === undefined) throw new BadRequestError(`unknown action "${name}"`);
  const parsed = handler.schema.safeParse(frame);
  if (!parsed.success) throw new BadRequestError(describeIssues(parsed.error));
  return { handler, parsed: parsed.data, reqId };
}

export function actionRouter(
  actions: Record<string, Action<z.ZodMiniType>>,
  options: RouterOptions,
): (event: WebSocketEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    let frame: unknown;
    let activity: Promise<void> | undefined;
    let caller: ConnectionCaller | undefined;
    try {
      const known = callerOf(event);
      caller = known;
      const purse = purseOf({ userId: known.userId, store: options.budget, clock: Date.now });
      let plan: ReturnType<typeof planFrame>;
      try {
        frame = parseFrame(event.body);
        plan = planFrame(actions, frame);
      } catch (error) {
        // A frame no action takes still cost an invocation: it is paid for like any other.
        await purse.spend(DEFAULT_FRAME_UNITS);
        throw error;
      }
      const { handler, parsed, reqId } = plan;
      const { threadId } = parsed as { threadId?: unknown };
      if (typeof threadId === 'string') logger.appendKeys({ threadId });
      // Before the action (but for those that pay in their run, beside their first read): a frame over budget must write nothing.
      const units = handler.units(parsed);
      await purse.spend(units, handler.budget);
      // Beside the action, not before it: keeping the connection live must not add a round trip.
      // It is a write, so it waits for the frame's charge: an action that pays in its run (a send,
      // beside its first read) refreshes once its own charge is admitted.
      const refresh = () => void (activity ??= options.onActivity?.(known));
      if (units > 0) refresh();
      const paying: Purse = units > 0 ? purse : { spend: async (...charge) => (await purse.spend(...charge), refresh()), giveBack: (...back) => purse.giveBack(...back) };
      const result = await handler.run(parsed, known, paying);
      await activity;
      if (result === undefined) return { statusCode: 200, body: '' };
      return reply(reqId === undefined ? result : { ...result, reqId });
    } catch (error) {
      // A refresh still in flight when the action failed is waited for, and its own failure only logged.
      await activity?.catch((activityError: Error) => logger.warn('connection refresh failed', { error: activityError }));
      const reqId = reqIdOf(frame);
      if (error instanceof MessengerError) {
        metrics.addMetric('ClientErrors', MetricUnit.Count, 1);
        logger.info('frame rejected', { code: error.code, reason: error.message });
        if (error instanceof RateLimitedError) {
          metrics.addMetric('FramesOverBudget', MetricUnit.Count, 1);
          if (caller !== undefined) await options.onRefused?.(caller).catch((closeError: Error) => logger.warn('closing a flooding connection failed', { error: closeError }));
        }
        const retryAfterMs = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
        return reply(errorFrame(error.code, error.message, reqId, retryAfterMs));
      }
      metrics.addMetric('InternalErrors', MetricUnit.Count, 1);
      logger.error('action failed', error as Error);
      return reply(errorFrame('internal', 'something went wrong on our side; try again', reqId));
    }
  };
}
