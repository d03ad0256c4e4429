import * as z from '../domain/schema';
import { issuerUrlProblem } from '../domain/tokens';

/** Thrown at cold start when the function's environment is not what the stack sets. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads and validates environment variables once, at module load, so that a misconfigured
 * function fails its first invocation with a message naming every bad variable instead of
 * misbehaving later.
 */
export function loadConfig<Shape extends z.core.$ZodLooseShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodMiniObject<Shape>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`Invalid environment: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Schemas for the kinds of values the stack puts into environments. */
export const env = {
  name: () => z.string().check(z.trim(), z.minLength(1)),
  url: (protocols: readonly string[]) =>
    z.url().check(
      z.refine((value) => protocols.includes(new URL(value).protocol), `must be a ${protocols.join(' or ')} URL`),
    ),
  positiveInt: () => z.coerce.number().check(z.int(), z.positive()),
  /** A token issuer's URL or JWKS URI: https, or http on loopback only, as synth requires (issuerUrlProblem). */
  issuerUrl: () =>
    z.string().check(
      z.superRefine((value, context) => {
        const problem = issuerUrlProblem(value);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, input: value });
      }),
    ),
};

/**
 * Per-user limits the stack may change (`-c messenger:groupsCreatedPerHour=…`, lib/app-context.ts),
 * which it passes to every function that charges budgets. Read once, when a function loads; unset,
 * as in tests and the benchmark, the deployment's defaults of lambdas/domain/budget.ts hold.
 */
export const userLimits = loadConfig({ GROUPS_CREATED_PER_HOUR: z.optional(env.positiveInt()) });
