import * as path from 'node:path';
import { z } from 'zod';
import { MAX_GROUPS_CREATED_PER_HOUR } from '../lib/app-context';
import { BIND_ADDRESS_RULE, isBindAddress, LOOPBACK_ADDRESS } from './bind-address';

/** The checkout this local cloud belongs to. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /**
   * A further address the WebSocket endpoint, the web messenger and the management API listen on
   * (they always listen on 127.0.0.1); the stand-ins stay on loopback whatever it says.
   */
  LOCAL_BIND_ADDRESS: z.string().refine(isBindAddress, BIND_ADDRESS_RULE).default(LOOPBACK_ADDRESS),
  /**
   * How long a token from `/dev/token` lives unless the request says `expiresIn`: a day, the most
   * the authorizer accepts, so that a client of the contract, which does not know `renewToken`, is
   * not closed by the token-expiry sweep during a long run. Shorten it to watch expiry.
   */
  LOCAL_TOKEN_SECONDS: z.coerce.number().int().min(1).max(86_400).default(86_400),
  /**
   * Groups one user may create an hour here (deployed: 20, lambdas/domain/budget.ts). Higher by
   * default, so that acceptance suites which reuse their users do not run into the cap; tests of
   * the cap set the deployment's number.
   */
  LOCAL_GROUPS_CREATED_PER_HOUR: z.coerce.number().int().min(1).max(MAX_GROUPS_CREATED_PER_HOUR).default(1000),
  LOCAL_DATA_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.local-cloud', 'data')),
  /** API Gateway's idle timeout (10 minutes), shortened by tests. */
  LOCAL_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(600),
  /** API Gateway's maximum connection duration (2 hours), shortened by tests. */
  LOCAL_MAX_CONNECTION_SECONDS: z.coerce.number().int().min(1).max(7200).default(7200),
  /** API Gateway's integration timeout (29 s, its maximum and default), shortened by tests. */
  LOCAL_INTEGRATION_TIMEOUT_MS: z.coerce.number().int().min(50).max(29000).default(29000),
  /**
   * Caps every queue's visibility timeout, so that tests see a failed message come back (and reach
   * its dead-letter queue) in seconds rather than minutes. Unset, the template's timeouts hold.
   */
  LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(43200).optional(),
  /** Runs every scheduled rule this often instead of at its rate, so that tests see a minutely sweep in seconds. */
  LOCAL_SCHEDULE_SECONDS: z.coerce.number().int().min(1).max(86400).optional(),
  /**
   * Lambda waits 1 and then 2 minutes before retrying a failed asynchronous invocation (from SNS,
   * EventBridge); set, each retry waits this many seconds instead, so tests see an event reach its
   * on-failure destination in seconds. The event invoke configs' retry counts and ages still hold.
   */
  LOCAL_ASYNC_RETRY_DELAY_SECONDS: z.coerce.number().int().min(0).max(120).optional(),
  /**
   * How often expired items are deleted, standing in for DynamoDB's TTL process (which takes up to
   * days, so nothing may rely on its timing; tests lengthen this to prove nothing does).
   */
  LOCAL_TTL_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86400).default(5),
  /**
   * Every alarm period (and the periods of the metrics it reads) lasts this many seconds instead of
   * the template's (60 s, 5 minutes), and queues are sampled twice as often, so that tests see an
   * alarm fire and clear in seconds. The alarms' evaluation periods and datapoints to alarm still hold.
   */
  LOCAL_ALARM_PERIOD_SECONDS: z.coerce.number().int().min(1).max(3600).optional(),
  /** The history-lag alarm's threshold (the template's is 5 minutes), so that tests see it fire within a short outage. */
  LOCAL_HISTORY_LAG_ALARM_SECONDS: z.coerce.number().int().min(1).max(86400).optional(),
  /** Faults armed at start: a JSON array of `POST /dev/faults` bodies (kills and `@connections` failures), checked once the functions are known. */
  LOCAL_FAULTS: z.string().min(1).optional(),
});

export type LocalCloudConfig = {
  readonly port: number;
  readonly bindAddress: string;
  readonly tokenSeconds: number;
  readonly groupsCreatedPerHour: number;
  readonly dataDir: string;
  readonly idleTimeoutSeconds: number;
  readonly maxConnectionSeconds: number;
  readonly integrationTimeoutMs: number;
  readonly sqsVisibilityTimeoutCapSeconds?: number;
  readonly schedulePeriodSeconds?: number;
  readonly asyncRetryDelaySeconds?: number;
  readonly ttlSweepSeconds: number;
  readonly alarmPeriodSeconds?: number;
  readonly historyLagAlarmSeconds?: number;
  /** `LOCAL_FAULTS` as given: JSON the fault injector parses at start. */
  readonly initialFaults?: string;
};

/** Reads the local cloud's settings from the environment, naming every bad variable. */
export function localCloudConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LocalCloudConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid environment: ${problems.join('; ')}`);
  }
  return {
    port: result.data.PORT,
    bindAddress: result.data.LOCAL_BIND_ADDRESS,
    tokenSeconds: result.data.LOCAL_TOKEN_SECONDS,
    groupsCreatedPerHour: result.data.LOCAL_GROUPS_CREATED_PER_HOUR,
    dataDir: path.resolve(result.data.LOCAL_DATA_DIR),
    idleTimeoutSeconds: result.data.LOCAL_IDLE_TIMEOUT_SECONDS,
    maxConnectionSeconds: result.data.LOCAL_MAX_CONNECTION_SECONDS,
    integrationTimeoutMs: result.data.LOCAL_INTEGRATION_TIMEOUT_MS,
    sqsVisibilityTimeoutCapSeconds: result.data.LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS,
    schedulePeriodSeconds: result.data.LOCAL_SCHEDULE_SECONDS,
    asyncRetryDelaySeconds: result.data.LOCAL_ASYNC_RETRY_DELAY_SECONDS,
    ttlSweepSeconds: result.data.LOCAL_TTL_SWEEP_SECONDS,
    alarmPeriodSeconds: result.data.LOCAL_ALARM_PERIOD_SECONDS,
    historyLagAlarmSeconds: result.data.LOCAL_HISTORY_LAG_ALARM_SECONDS,
    initialFaults: result.data.LOCAL_FAULTS,
  };
}
