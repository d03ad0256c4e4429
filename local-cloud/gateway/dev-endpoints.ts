import type { ServerResponse } from 'node:http';
import type { LocalIdentity } from '../identity/local-identity';
import { FunctionError } from '../lambda/lambda-service';
import type { Meter } from '../lambda/metering';
import type { RecordedPush } from '../standins/sns';

export interface DevState {
  readonly ready: boolean;
  readonly identity?: LocalIdentity;
  /** Where each stand-in listens and what the template's resources are called in it. */
  readonly standIns: Readonly<Record<string, unknown>>;
  /** What the stand-in for the push services received for a user's devices. */
  readonly pushNotificationsFor: (userId: string) => RecordedPush[];
  /** Cuts a user's connections as if their `$disconnect` were lost; how many. */
  readonly dropConnectionsOf: (userId: string) => number;
  /** What the functions did since the last reset: invocations, SDK calls, log volume. */
  readonly meter: Meter;
  /** Invokes a function by logical id, name or ARN, as Lambda's Invoke API does. */
  readonly invoke: (functionRef: string, event: unknown) => Promise<unknown>;
  readonly readBody: () => Promise<string>;
  /** The functions as they run here: asset folder, handler, memory, resolved environment. */
  readonly functions: () => unknown[];
}

const DEFAULT_TOKEN_SECONDS = 3600;
const USER_RULE = 'user must be 1-64 characters of A-Z, a-z, 0-9, _ or -';

function userParameter(url: URL): string | undefined {
  const user = url.searchParams.get('user');
  return user !== null && /^[A-Za-z0-9_-]{1,64}$/.test(user) ? user : undefined;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * The endpoints only the local cloud has: those of PROTOCOL.md section 5 (readiness, tokens for
 * any user, the push notifications a user's devices got), the signing keys the authorizer checks
 * tokens against, where the stand-ins listen (for poking at them with the AWS CLI or a test), and
 * a fault to inject: connections cut without `$disconnect`.
 */
export async function handleDevRequest(method: string, url: URL, response: ServerResponse, state: DevState): Promise<void> {
  switch (url.pathname) {
    case '/dev/health':
      return json(response, state.ready ? 200 : 503, { status: state.ready ? 'ready' : 'starting' });
    case '/dev/push': {
      const user = userParameter(url);
      if (user === undefined) return json(response, 400, { message: `${USER_RULE}, e.g. /dev/push?user=bob` });
      return json(response, 200, { notifications: state.pushNotificationsFor(user).map(({ userId: _user, ...notification }) => notification) });
    }
    case '/dev/drop': {
      if (method !== 'POST') return json(response, 405, { message: 'use POST /dev/drop?user=<id>' });
      const user = userParameter(url);
      if (user === undefined) return json(response, 400, { message: `${USER_RULE}, e.g. POST /dev/drop?user=bob` });
      return json(response, 200, { dropped: state.dropConnectionsOf(user) });
    }
    case '/dev/functions':
      return json(response, 200, { functions: state.functions() });
    case '/dev/stats':
      return json(response, 200, state.meter.snapshot());
    case '/dev/stats/reset':
      if (method !== 'POST') return json(response, 405, { message: 'use POST /dev/stats/reset' });
      state.meter.reset();
      return json(response, 200, { reset: true });
    case '/dev/invoke': {
      if (method !== 'POST') return json(response, 405, { message: 'use POST /dev/invoke?function=<logical id, name or ARN> with the event as body' });
      const functionRef = url.searchParams.get('function');
      if (!functionRef) return json(response, 400, { message: 'function is required, e.g. POST /dev/invoke?function=MessagePipelinePersist…' });
      let event: unknown;
      try {
        event = JSON.parse(await state.readBody());
      } catch (error) {
        return json(response, 400, { message: `the body must be the event as JSON: ${(error as Error).message}` });
      }
      try {
        return json(response, 200, { result: await state.invoke(functionRef, event) });
      } catch (error) {
        if (error instanceof FunctionError) return json(response, 200, { functionError: error.errorType, message: error.errorMessage });
        if ((error as Error).message.startsWith('no local function')) return json(response, 404, { message: (error as Error).message });
        throw error;
      }
    }
    case '/dev/stand-ins':
      return json(response, 200, state.standIns);
    case '/dev/jwks.json':
      if (!state.identity) return json(response, 503, { message: 'starting' });
      return json(response, 200, state.identity.jwks());
    case '/dev/token': {
      if (!state.identity) return json(response, 503, { message: 'starting' });
      const user = url.searchParams.get('user');
      const expiresIn = url.searchParams.get('expiresIn');
      if (user === null) return json(response, 400, { message: 'user is required, e.g. /dev/token?user=alice' });
      try {
        const seconds = expiresIn === null ? DEFAULT_TOKEN_SECONDS : Number(expiresIn);
        return json(response, 200, { token: await state.identity.issueToken(user, seconds) });
      } catch (error) {
        if (error instanceof RangeError) return json(response, 400, { message: error.message });
        throw error;
      }
    }
    default:
      return json(response, 404, { message: 'Not found' });
  }
}
