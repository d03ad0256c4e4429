import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StackAssembly, TemplateResource } from '../assembly/cloud-assembly';
import type { IntrinsicResolver, ResourceValues } from '../assembly/intrinsics';
import type { LocalCloudConfig } from '../config';
import type { GatewayTraffic } from './apigateway/traffic';
import type { DynamoDbAccess } from './dynamodb/module';
import type { ServiceEndpoints } from './endpoints';
import type { IamAccess } from './iam/module';
import type { LambdaService } from './lambda/lambda-service';
import type { QueueAccess } from './sqs/module';
import type { TopicActivity } from './sns/sns-server';
import type { StandInControl, StandInName } from './stand-in-control';

export type Log = (message: string) => void;

/** What every phase of a service gets, from before the CDK app is synthesized. */
export interface SetupContext {
  readonly config: LocalCloudConfig;
  readonly log: Log;
  /** `http://127.0.0.1:<port>`: the local cloud's own server (WebSocket, management API, `/dev`). */
  readonly baseUrl: string;
  /** Where stand-ins write their logs. */
  readonly logDir: string;
}

/** Once the template exists. */
export interface LaunchContext extends SetupContext {
  readonly assembly: StackAssembly;
  readonly endpoints: ServiceEndpoints;
}

/** What the services started earlier offer to those started after them. */
export interface ExposedServices {
  iam?: IamAccess;
  lambda?: LambdaService;
  queues?: QueueAccess;
  dynamodb?: DynamoDbAccess;
  standIns?: Partial<Record<StandInName, StandInControl>>;
  /** The WebSocket API's stage and its traffic, for CloudWatch. */
  gateway?: { readonly apiId: string; readonly stage: string; readonly traffic: GatewayTraffic };
  /** What is published to the topics and delivered, for CloudWatch. */
  sns?: { onTopicActivity(observer: (activity: TopicActivity) => void): void };
}

/** Once every resource of the template has its `Ref` and `Fn::GetAtt` values. */
export interface CloudContext extends LaunchContext {
  readonly resolver: IntrinsicResolver;
  readonly exposed: ExposedServices;
}

/** A resource of the template as a service module defines it. */
export interface DefinedResource {
  readonly logicalId: string;
  readonly resource: TemplateResource;
  /** `<stack>-<logical id>`, the name CloudFormation would generate. */
  readonly physicalName: string;
}

/** What one resource type's resources resolve to here, for `Ref` and `Fn::GetAtt`. */
export type ResourceDefinition = (resource: DefinedResource, context: LaunchContext) => ResourceValues;

/** An HTTP endpoint a service adds to the local cloud's server. */
export interface HttpRoute {
  /** An exact path (`/dev/push`), or a pattern whose groups the handler gets. */
  readonly path: string | RegExp;
  handle(request: IncomingMessage, response: ServerResponse, url: URL, match: readonly string[]): Promise<void> | void;
}

/**
 * One AWS service of the local cloud (LocalStack's provider, serverless-offline's event type).
 * The composer runs every service through the same phases, in its order:
 *  1. `synthContext`: CDK context the app must be synthesized with (before the template exists);
 *  2. `launch`: starts the service's stand-in process, side by side with the others';
 *  2b. `interpose`: once every stand-in listens, puts what stands between them and the functions
 *     (IAM's enforcing proxies) in front of them, before any endpoint is handed out;
 *  3. `resourceTypes`: the `Ref`/`Fn::GetAtt` values of the resource types it owns;
 *  4. `start`: creates its resources from the template and runs what serves them, in order,
 *     using what earlier services exposed;
 *  5. `stop`: in reverse order, stops everything it started.
 */
export interface CloudService {
  readonly name: string;
  synthContext?(context: SetupContext): Promise<Record<string, string>>;
  launch?(context: LaunchContext): Promise<void>;
  interpose?(context: LaunchContext): Promise<void>;
  readonly resourceTypes?: Readonly<Record<string, ResourceDefinition>>;
  start?(context: CloudContext): Promise<void>;
  stop(): Promise<void>;
  /** Its HTTP endpoints on the local cloud's port, answering from the start (if only "starting"). */
  readonly routes?: readonly HttpRoute[];
  /** Takes a WebSocket handshake on the local cloud's port. */
  handleUpgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Its entries of `/dev/stand-ins`, by stand-in: where it listens, what the template's resources are called there. */
  describe?(): Record<string, unknown>;
}
