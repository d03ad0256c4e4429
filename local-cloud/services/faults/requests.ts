import { z } from 'zod';
import { INJECTABLE_ANSWERS, type InjectableStatus } from '../apigateway/management-api';
import { STAND_IN_NAMES } from '../stand-in-control';

/** The point name that stands for "at a random moment" rather than a `faultPoint(name)` in the code. */
export const RANDOM_POINT = 'random';

const id = z.string().min(1).max(256);
const statuses = Object.keys(INJECTABLE_ANSWERS).map(Number) as InjectableStatus[];

/**
 * Kill the execution environment of a function (its logical id, name, or a prefix of its logical
 * id) when an invocation reaches a fault point, or at a random moment (`point: "random"`).
 */
const killRequest = z
  .strictObject({
    kind: z.literal('kill'),
    function: id,
    point: z.string().regex(/^[\w.:-]{1,100}$/, 'must be a fault point name (letters, digits, _ . : -) or "random"'),
    /** Kills at most this many times; by default once, or until cleared when `probability` is given or the point is random. */
    times: z.number().int().min(1).optional(),
    /** Each invocation is picked with this probability (default 1); a picked one dies if it reaches the point. */
    probability: z.number().gt(0).max(1).optional(),
    /** Makes the picks and random moments one reproducible sequence. */
    seed: z.number().int().optional(),
    /** For `random`: the moment is picked in [0, withinMs) of the invocation (default 500); one that ends sooner dies before answering. */
    withinMs: z.number().int().min(1).max(900_000).optional(),
    /** Only invocations on behalf of this user (API Gateway events whose authorizer context has this `userId`). */
    userId: id.optional(),
  })
  .refine((request) => request.withinMs === undefined || request.point === RANDOM_POINT, { message: 'is for point "random" only', path: ['withinMs'] });

/** Make `@connections` answer a failure for one connection, or for every connection of a user. */
const connectionRequest = z
  .strictObject({
    kind: z.literal('connection'),
    connectionId: id.optional(),
    userId: id.optional(),
    method: z.enum(['POST', 'GET', 'DELETE']).default('POST'),
    status: z.number().refine((status): status is InjectableStatus => statuses.includes(status as InjectableStatus), `must be one of ${statuses.join(', ')}`),
    /** Answers this many calls; by default every call until cleared (the SDK retries 429 and 500 twice). */
    times: z.number().int().min(1).optional(),
  })
  .refine((request) => (request.connectionId === undefined) !== (request.userId === undefined), 'give either connectionId or userId');

/** Stop a stand-in, or start it again on its port with its data. */
const standInRequest = z.strictObject({
  kind: z.literal('standIn'),
  standIn: z.enum(STAND_IN_NAMES),
  action: z.enum(['stop', 'restart']),
});

const faultRequest = z.discriminatedUnion('kind', [killRequest, connectionRequest, standInRequest]);

export type KillRequest = z.infer<typeof killRequest>;
export type ConnectionRequest = z.infer<typeof connectionRequest> & { status: InjectableStatus };
export type StandInRequest = z.infer<typeof standInRequest>;
export type FaultRequest = KillRequest | ConnectionRequest | StandInRequest;

/** A request that is not one of the bodies above; its message says what is wrong. */
export class BadFaultRequest extends Error {}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** A `POST /dev/faults` body, checked. */
export function parseFaultRequest(body: unknown): FaultRequest {
  const result = faultRequest.safeParse(body);
  if (!result.success) throw new BadFaultRequest(describe(result.error));
  return result.data as FaultRequest;
}

/** `LOCAL_FAULTS`: a JSON array of kills and `@connections` failures to arm at start. */
export function parseInitialFaults(json: string): Array<KillRequest | ConnectionRequest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new BadFaultRequest(`not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new BadFaultRequest('must be a JSON array of fault bodies');
  return parsed.map((body, index) => {
    let request: FaultRequest;
    try {
      request = parseFaultRequest(body);
    } catch (error) {
      throw new BadFaultRequest(`[${index}]: ${(error as Error).message}`);
    }
    if (request.kind === 'standIn') throw new BadFaultRequest(`[${index}]: stand-ins are stopped through POST /dev/faults, not at start`);
    return request;
  });
}
