import * as path from 'node:path';
import { z } from 'zod';

/** The checkout this local cloud belongs to. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  LOCAL_DATA_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.local-cloud', 'data')),
  /** API Gateway's idle timeout (10 minutes), shortened by tests. */
  LOCAL_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(600),
  /** API Gateway's maximum connection duration (2 hours), shortened by tests. */
  LOCAL_MAX_CONNECTION_SECONDS: z.coerce.number().int().min(1).max(7200).default(7200),
  /**
   * Caps every queue's visibility timeout, so that tests see a failed message come back (and reach
   * its dead-letter queue) in seconds rather than minutes. Unset, the template's timeouts hold.
   */
  LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(43200).optional(),
});

export type LocalCloudConfig = {
  readonly port: number;
  readonly dataDir: string;
  readonly idleTimeoutSeconds: number;
  readonly maxConnectionSeconds: number;
  readonly sqsVisibilityTimeoutCapSeconds?: number;
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
    dataDir: path.resolve(result.data.LOCAL_DATA_DIR),
    idleTimeoutSeconds: result.data.LOCAL_IDLE_TIMEOUT_SECONDS,
    maxConnectionSeconds: result.data.LOCAL_MAX_CONNECTION_SECONDS,
    sqsVisibilityTimeoutCapSeconds: result.data.LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS,
  };
}
