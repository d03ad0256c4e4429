import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag-acknowledgements';

/** Folder of the Lambda entry points; every function's entry is a file in it. */
const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambdas', 'handlers');
/** What `cassandra-driver` gets for `adm-zip`, which it needs only for DataStax Astra (see the file). */
const ADM_ZIP_STAND_IN = path.join(__dirname, '..', '..', 'lambdas', 'shared', 'no-secure-connect-bundles.ts');

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
 * esbuild with source maps, JSON logs in a log group with bounded retention, and X-Ray tracing.
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
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        format: OutputFormat.CJS,
        // The Node.js 24 runtime ships AWS SDK v3; bundling it again would only grow cold starts.
        externalModules: ['@aws-sdk/*'],
        esbuildArgs: { '--alias:adm-zip': ADM_ZIP_STAND_IN },
      },
    });
  }
}
