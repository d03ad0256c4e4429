import * as path from 'node:path';
import { resourcesOfType } from '../../assembly/cloud-assembly';
import { PROJECT_ROOT } from '../../config';
import { arn, LOCAL_CREDENTIALS, REGION } from '../account';
import type { CloudContext, CloudService, DefinedResource, HttpRoute } from '../service';
import { lambdaDevRoutes } from './dev-routes';
import { startEventSourceMappings, type EventSource } from './event-source-mappings';
import { LambdaService } from './lambda-service';
import { Meter } from './metering';

const FUNCTION = 'AWS::Lambda::Function';

interface FunctionProperties {
  Code: { S3Key: string };
  Handler: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
}

/**
 * Lambda: the template's functions, run from their bundled assets in execution environments
 * of their own (with the endpoints of the stand-ins in their environment), the pollers of their
 * event source mappings, their log groups, and the `/dev` endpoints that meter and invoke them.
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

  async start(context: CloudContext): Promise<void> {
    const { assembly, resolver, endpoints, logDir, exposed } = context;
    const lambda = new LambdaService({
      sdkRoot: PROJECT_ROOT,
      logDir: path.join(logDir, 'lambda'),
      runtimeEnvironment: {
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        // This machine's Node.js is older than Lambda's 22; the SDK's reminder of that is noise here.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...endpoints.functionEnvironment(),
      },
      maxConcurrency: 8,
      region: REGION,
      meter: this.meter,
    });
    this.lambda = lambda;
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
        environment: properties.Environment?.Variables ?? {},
      });
    }
    exposed.lambda = lambda;
    await startEventSourceMappings(context, lambda, this.meter, this.eventSources);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.eventSources.map((source) => source.stop()));
    this.lambda?.stop();
  }
}
