import { parseArgs } from 'node:util';
import { z } from 'zod';

export const USAGE = `Usage: npm run redrive -- <dead-letter queue> [--rate <messages/s>] [--stack <name>] [--timeout <seconds>]

Moves every message of a dead-letter queue back to its source queue (the queue whose
RedrivePolicy names it) with SQS's own message move task (StartMessageMoveTask), waits until
the task finishes, and prints how many messages moved.

  <dead-letter queue>  the queue's logical id or a prefix of it (MessagePipelineDeadLetters),
                       its name, or its URL
  --rate <n>           at most n messages a second (1-500; SQS picks the rate if omitted)
  --stack <name>       the deployed stack whose queues to search (default Messenger; AWS only)
  --timeout <seconds>  how long to wait for the task (default 900)
  -h, --help           this text

On AWS it uses the default credentials and region of the AWS SDK (AWS_PROFILE, AWS_REGION, ...).
With LOCAL_CLOUD_URL set (e.g. http://127.0.0.1:8080) it redrives in that local cloud instead,
as its operator.`;

/** A command line the command refuses: the message says what is wrong, the usage says what is right. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where the stack runs: a local cloud, found through its `/dev` endpoints, or AWS. */
export type Target = { kind: 'local'; baseUrl: string } | { kind: 'aws'; stackName: string };

export interface RedriveRequest {
  readonly queue: string;
  readonly target: Target;
  readonly maxMessagesPerSecond?: number;
  readonly timeoutSeconds: number;
}

const QUEUE = z.string().regex(/^(?:https?:\/\/\S+|[\w.-]{1,80})$/, 'is neither a queue URL nor a queue name or logical id');
const RATE = z.coerce.number().int().min(1).max(500);
const TIMEOUT = z.coerce.number().int().min(1).max(86_400);
const STACK = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'is not a CloudFormation stack name');
const LOCAL_CLOUD_URL = z.url({ protocol: /^https?$/ });

function valid<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what} ${JSON.stringify(value)} ${result.error.issues[0].message}`);
  return result.data;
}

/** The redrive asked for by these arguments and environment, or `help`; a `UsageError` for anything else. */
export function parseRedriveArguments(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): RedriveRequest | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { rate: { type: 'string' }, stack: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`expected one dead-letter queue, got ${positionals.length}`);
  const localCloudUrl = env.LOCAL_CLOUD_URL;
  if (localCloudUrl !== undefined && values.stack !== undefined) throw new UsageError('--stack names a stack on AWS; LOCAL_CLOUD_URL runs one stack');
  return {
    queue: valid(QUEUE, positionals[0], 'queue'),
    target:
      localCloudUrl === undefined
        ? { kind: 'aws', stackName: valid(STACK, values.stack ?? 'Messenger', '--stack') }
        : { kind: 'local', baseUrl: valid(LOCAL_CLOUD_URL, localCloudUrl, 'LOCAL_CLOUD_URL').replace(/\/$/, '') },
    maxMessagesPerSecond: values.rate === undefined ? undefined : valid(RATE, values.rate, '--rate'),
    timeoutSeconds: values.timeout === undefined ? 900 : valid(TIMEOUT, values.timeout, '--timeout'),
  };
}
