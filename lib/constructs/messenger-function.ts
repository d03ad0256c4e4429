import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag-acknowledgements';

/** Folder of the Lambda entry points; every function's entry is a file in it. */
const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambdas', 'handlers');
/** The stand-ins of the driver's parts left out of the bundles, relative to the project root (the bundler's input folder). */
const DRIVER_STAND_INS = 'lambdas/shared/cassandra-driver-stand-ins';

/**
 * The parts of `cassandra-driver` that only DataStax products use, as the driver's `lib/` requires
 * them: its client builds a graph executor and an insights reporter and calls the Astra cloud
 * set-up on connect; its encoder checks values against the search and geometry types. Together
 * about 45 KB of every bundle that talks to Keyspaces (with `adm-zip`, which only the cloud part
 * loads), and the bulk of what pushed the history reader past 400 KB. esbuild can neither alias a
 * relative path nor take plugins from here, so they are left out as external requires, and the
 * folder of stand-ins, laid out as those paths, is copied next to each bundle, where the requires
 * find it at run time. Each stand-in says why its part is never used on our paths.
 * test/stack/bundles.test.ts checks that nothing but the driver requires these paths.
 */
export const DRIVER_PARTS_LEFT_OUT = ['./datastax/cloud', './datastax/graph/graph-executor', './datastax/search', './geometry', './insights-client'];

/** How every function is bundled; test/stack/bundles.test.ts builds the handlers with the same options. */
export const BUNDLING: BundlingOptions = {
  minify: true,
  // For stack traces, which lambdas/shared/source-mapped-stacks.ts maps on the first error rather
  // than Node.js's --enable-source-maps on every cold start; positions only, not the sources' text
  // (a quarter of the map's size, and a quarter of what the first error parses).
  sourceMap: true,
  sourcesContent: false,
  target: 'node24',
  format: OutputFormat.CJS,
  // The Node.js 24 runtime ships AWS SDK v3; bundling it again would only grow cold starts.
  externalModules: ['@aws-sdk/*', ...DRIVER_PARTS_LEFT_OUT],
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    // Node.js rather than cp, so that it runs in cmd as in bash and in the bundling image.
    afterBundling: (inputDir: string, outputDir: string) => [
      `node -e "require('node:fs').cpSync(process.argv[1], process.argv[2], { recursive: true })" "${path.posix.join(inputDir, DRIVER_STAND_INS)}" "${outputDir}"`,
    ],
  },
};

/** The CloudWatch namespace of the functions' custom metrics (Powertools EMF); docs/operations.md lists them. */
export const METRICS_NAMESPACE = 'Messenger';
/** Powertools' service name, which it also adds to every custom metric as the dimension `service`. */
export const SERVICE_NAME = 'messenger';

export interface MessengerFunctionProps {
  /** File name in `lambdas/handlers/` without extension, e.g. `connect`. */
  readonly handler: string;
  /** Environment beyond the shared Powertools settings. */
  readonly environment?: Record<string, string>;
  /** @default 128: Lambda's minimum; the sizing rule is in docs/benchmark.md, "Memory sizing". */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: RetentionDays;
}

/**
 * A Lambda function with the messenger's defaults: Node.js 24 on arm64, bundled and minified by
 * esbuild with a source map (read on the first error), JSON logs in a log group with bounded
 * retention, and X-Ray tracing.
 *
 * Its role may write to its own log group and nothing else until granted: not
 * `AWSLambdaBasicExecutionRole`, which would also let it create any log group anywhere, when the
 * stack already creates every function's.
 */
export class MessengerFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: MessengerFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.handler} function`,
    });
    // Its log group, as CDK grants writing to one: the group's ARN and the ARN of its streams.
    logGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents');
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray trace writes (tracing) and dynamodb:ListStreams (stream event sources) have no resource-level permissions; test/stack/messenger-stack.test.ts fails on any other action on *.',
    );
    super(scope, id, {
      role,
      entry: path.join(HANDLERS_DIR, `${props.handler}.ts`),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // Memory sizing rule (docs/benchmark.md): Lambda's minimum, the cheapest, for what no user waits on or the benchmark does not measure.
      memorySize: props.memorySize ?? 128,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: BUNDLING,
    });
  }
}
