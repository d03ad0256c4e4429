import * as path from 'node:path';
import { resourcesOfType } from '../../assembly/cloud-assembly';
import { PROJECT_ROOT } from '../../config';
import type { QueueAccess } from '../sqs/module';
import { arn, REGION } from '../account';
import type { CloudContext, CloudService, DefinedResource, HttpRoute } from '../service';
import { asyncSettingsOf, type DeadLetterConfig, type EventInvokeConfigProperties } from './async-config';
import { lambdaDevRoutes } from './dev-routes';
import { startEventSourceMappings, type EventSource } from './event-source-mappings';
import type { FaultInjector } from './execution-environment';
import { LambdaService } from './lambda-service';
import { ConcurrencyEvents } from './concurrency';
import { FunctionOutput } from './function-output';
import { Meter } from './metering';
import { invokePermissionOf } from './resource-policy';

const FUNCTION = 'AWS::Lambda::Function';
const PERMISSION = 'AWS::Lambda::Permission';
const EVENT_INVOKE_CONFIG = 'AWS::Lambda::EventInvokeConfig';

interface FunctionProperties {
  Code: { S3Key: string };
  Handler: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
  DeadLetterConfig?: DeadLetterConfig;
}

/**
 * Lambda: the template's functions, run from their bundled assets in execution environments
 * of their own (with the endpoints of the stand-ins in their environment), their resource
 * policies, asynchronous invocation settings and destinations, the pollers of their event
 * source mappings, their log groups, and the `/dev` endpoints that meter and invoke them. The
 * fault injector, when armed, kills chosen invocations' execution environments.
 * `LOCAL_ASYNC_RETRY_DELAY_SECONDS` shortens the waits before asynchronous retries.
 */
export class LambdaModule implements CloudService {
  readonly name = 'lambda';
  private readonly meter = new Meter();
  private lambda?: LambdaService;
  private readonly eventSources: EventSource[] = [];

  readonly resourceTypes = {
    [FUNCTION]: ({ physicalName }: DefinedResource) => ({ ref: physicalName, attributes: { Arn: arn('lambda', `function:${physicalName}`) } }),
    // Functions' log groups: their output goes to files here (see `logDir`).
    'AWS::Logs::LogGroup': ({ physicalName }: DefinedResource) => ({
      ref: physicalName,
      attributes: { Arn: arn('logs', `log-group:${physicalName}:*`) },
    }),
  };

  readonly routes: readonly HttpRoute[] = lambdaDevRoutes(this.meter, () => this.lambda);

  /** `faults`: which invocations' environments die on purpose (`/dev/faults`). */
  constructor(private readonly faults?: FaultInjector) {}

  async start(context: CloudContext): Promise<void> {
    const { assembly, resolver, endpoints, logDir, exposed, config, log } = context;
    const lambda = new LambdaService({
      sdkRoot: PROJECT_ROOT,
      logDir: path.join(logDir, 'lambda'),
      runtimeEnvironment: {
        // This machine's Node.js is older than Lambda's 22; the SDK's reminder of that is noise here.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...endpoints.functionEnvironment(),
      },
      maxConcurrency: 8,
      region: REGION,
      meter: this.meter,
      output: new FunctionOutput(),
      concurrency: new ConcurrencyEvents(),
      faults: this.faults,
      asyncRetryDelaySecondsOverride: config.asyncRetryDelaySeconds,
      log,
    });
    this.lambda = lambda;
    const iam = exposed.iam;
    if (iam === undefined) throw new Error('functions run only with IAM enforced: the IAM service has not started');
    const deadLetterConfigs = new Map<string, DeadLetterConfig | undefined>();
    for (const [logicalId, resource] of resourcesOfType(assembly, FUNCTION)) {
      const properties = resolver.resolve(resource.Properties) as FunctionProperties;
      lambda.register({
        logicalId,
        functionName: resolver.resolveString({ Ref: logicalId }),
        functionArn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
        assetDirectory: assembly.assetDirectory(properties.Code.S3Key),
        handler: properties.Handler,
        timeoutSeconds: properties.Timeout ?? 3,
        memoryMb: properties.MemorySize ?? 128,
        // Its own key, so that its calls carry its role.
        environment: { ...(properties.Environment?.Variables ?? {}), ...iam.credentialsFor(logicalId) },
      });
      deadLetterConfigs.set(logicalId, properties.DeadLetterConfig);
    }
    configureAsyncInvocation(context, lambda, deadLetterConfigs, exposed.queues);
    for (const [logicalId, resource] of resourcesOfType(assembly, PERMISSION)) {
      const { functionRef, permission } = invokePermissionOf(logicalId, resolver.resolve(resource.Properties) as Parameters<typeof invokePermissionOf>[1]);
      if (permission) lambda.addPermission(functionRef, permission);
    }
    exposed.lambda = lambda;
    await startEventSourceMappings(context, lambda, this.meter, this.eventSources);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.eventSources.map((source) => source.stop()));
    await this.lambda?.stop();
  }
}

/** Gives every function its event invoke config (at most one) and dead-letter queue. */
function configureAsyncInvocation(
  { assembly, resolver }: CloudContext,
  lambda: LambdaService,
  deadLetterConfigs: ReadonlyMap<string, DeadLetterConfig | undefined>,
  queues: QueueAccess | undefined,
): void {
  const configs = new Map<string, { logicalId: string; properties: EventInvokeConfigProperties }>();
  for (const [logicalId, resource] of resourcesOfType(assembly, EVENT_INVOKE_CONFIG)) {
    const properties = resolver.resolve(resource.Properties) as EventInvokeConfigProperties;
    const functionLogicalId = lambda.logicalIdOf(properties.FunctionName);
    if (configs.has(functionLogicalId)) throw new Error(`function ${functionLogicalId} has two event invoke configs`);
    configs.set(functionLogicalId, { logicalId, properties });
  }
  for (const [functionLogicalId, deadLetterConfig] of deadLetterConfigs) {
    lambda.configureAsync(functionLogicalId, asyncSettingsOf(functionLogicalId, configs.get(functionLogicalId), deadLetterConfig, queues));
  }
}
