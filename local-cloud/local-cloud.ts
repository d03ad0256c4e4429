import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { IDLE_TIMEOUT_CONTEXT, PUSH_APPLICATIONS_CONTEXT, TOKEN_ISSUER_CONTEXT } from '../lib/app-context';
import { readStackAssembly, resourcesOfType, type StackAssembly } from './assembly/cloud-assembly';
import { IntrinsicResolver, type ResourceValues } from './assembly/intrinsics';
import { synthesize } from './assembly/synth';
import { PROJECT_ROOT, type LocalCloudConfig } from './config';
import { handleDevRequest } from './gateway/dev-endpoints';
import { WebSocketGateway, type GatewayRoutes, type RouteTarget } from './gateway/websocket-gateway';
import { LocalIdentity, LOCAL_AUDIENCE } from './identity/local-identity';
import { LambdaService } from './lambda/lambda-service';
import { Meter } from './lambda/metering';
import { ensureTable, type TableProperties } from './provision/dynamodb';
import { DynamoDbTtlSweeper, type ExpiringTable } from './provision/dynamodb-ttl';
import { ensureKeyspaces, type CassandraTableProperties } from './provision/cassandra';
import { ensureQueue, queueCreationOrder, type QueueProperties } from './provision/sqs';
import { SqsEventSource } from './lambda/sqs-event-source';
import { DynamoDbStreamEventSource } from './lambda/dynamodb-stream-event-source';
import { eventFilterOf } from './lambda/event-filter';
import { ScheduleRunner, type ScheduledRule } from './lambda/schedules';
import { startCassandra } from './standins/cassandra';
import { startDynamoDbLocal, type RunningStandIn } from './standins/dynamodb-local';
import { startElasticMq } from './standins/elasticmq';
import { LocalSns, type LambdaSubscriptionTarget } from './standins/sns';
import { WebApp } from './web/web-app';

const REGION = 'us-east-1';
const ACCOUNT_ID = '000000000000';
const API_ID = 'local';
/** The SNS platform applications the local stand-in for APNs and FCM answers for. */
const LOCAL_PUSH_APPLICATIONS = {
  apns: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:app/APNS/messenger-local`,
  fcm: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:app/GCM/messenger-local`,
};
/** Credentials for the stand-ins, which accept any. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Where each started stand-in listens. */
interface StandInEndpoints {
  dynamodb?: string;
  sqs?: string;
  cassandra?: string;
  sns?: string;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} is already taken by another program; set PORT to a free one`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

const MAX_DEV_BODY_BYTES = 6 * 1024 * 1024;

/** A request's body, refused beyond Lambda's 6 MB payload limit. */
async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_DEV_BODY_BYTES) throw new RangeError('request body over 6 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Each resource of a type, its `Ref` by the value of one of its attributes (its ARN, say). */
function refsByAttribute(assembly: StackAssembly, resolver: IntrinsicResolver, type: string, attribute: string): Map<string, string> {
  return new Map(
    resourcesOfType(assembly, type).map(([logicalId]) => [
      resolver.resolveString({ 'Fn::GetAtt': [logicalId, attribute] }),
      resolver.resolveString({ Ref: logicalId }),
    ]),
  );
}

/** The function a Lambda proxy integration or authorizer URI invokes, as the ARN in it. */
function functionArnOf(invocationUri: string): string {
  const arn = invocationUri.match(/\/functions\/(.+)\/invocations$/)?.[1];
  if (arn === undefined) throw new Error(`not a Lambda invocation URI: ${invocationUri}`);
  return arn;
}

/**
 * The messenger on this machine: it synthesizes the CDK app, starts the stand-ins the template
 * needs, creates the template's resources in them, runs its functions from their bundled assets
 * and serves the WebSocket API, its management API and the `/dev` endpoints on one port.
 */
export class LocalCloud {
  private readonly standIns: RunningStandIn[] = [];
  private lambda?: LambdaService;
  private gateway?: WebSocketGateway;
  private identity?: LocalIdentity;
  private ready = false;
  private sqsClient?: SQSClient;
  private dynamoDbClient?: DynamoDBClient;
  private ttlSweeper?: DynamoDbTtlSweeper;
  private sns?: LocalSns;
  private readonly eventSources: Array<SqsEventSource | DynamoDbStreamEventSource> = [];
  private streamsClient?: DynamoDBStreamsClient;
  private schedules?: ScheduleRunner;
  private readonly standInDescriptions: Record<string, unknown> = {};
  private readonly meter = new Meter();
  private readonly server: Server;
  private webApp?: WebApp;

  private constructor(
    private readonly config: LocalCloudConfig,
    private readonly log: (message: string) => void,
  ) {
    this.server = createServer((request, response) => {
      this.handleHttp(request, response).catch((error: Error) => {
        this.log(`request ${request.method} ${request.url} failed: ${error.message}`);
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ message: 'Internal server error' }));
      });
    });
    // Longer than clients' keep-alive, so that a client never reuses a socket the server is closing.
    this.server.keepAliveTimeout = 65_000;
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      this.log(`HTTP client error: ${error.code ?? ''} ${error.message}`);
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    this.server.on('upgrade', (request, socket, head) => {
      if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      if (!this.ready || this.gateway === undefined) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
        return;
      }
      this.gateway.handleUpgrade(request, socket, head).catch((error: Error) => {
        this.log(`handshake failed: ${error.message}`);
        socket.destroy();
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.config.port}`;
  }

  get webSocketUrl(): string {
    return `ws://127.0.0.1:${this.config.port}/`;
  }

  /** Starts everything; on any failure stops what it started and rethrows with the reason. */
  static async start(config: LocalCloudConfig, log: (message: string) => void): Promise<LocalCloud> {
    const cloud = new LocalCloud(config, log);
    try {
      await cloud.boot();
      return cloud;
    } catch (error) {
      await cloud.stop();
      throw error;
    }
  }

  private async boot(): Promise<void> {
    const { dataDir, port } = this.config;
    const logDir = path.join(dataDir, 'logs');
    await mkdir(logDir, { recursive: true });
    this.webApp = await WebApp.build({ idleTimeoutSeconds: this.config.idleTimeoutSeconds });
    await listen(this.server, port);

    this.identity = await LocalIdentity.open(dataDir, `${this.baseUrl}/dev`);
    const outDir = path.join(dataDir, 'cdk.out');
    this.log('synthesizing the CDK app');
    await synthesize(outDir, {
      [TOKEN_ISSUER_CONTEXT.issuerUrl]: this.identity.issuerUrl,
      [TOKEN_ISSUER_CONTEXT.jwksUri]: this.identity.jwksUri,
      [TOKEN_ISSUER_CONTEXT.audience]: LOCAL_AUDIENCE,
      [IDLE_TIMEOUT_CONTEXT]: String(this.config.idleTimeoutSeconds),
      [PUSH_APPLICATIONS_CONTEXT.apns]: LOCAL_PUSH_APPLICATIONS.apns,
      [PUSH_APPLICATIONS_CONTEXT.fcm]: LOCAL_PUSH_APPLICATIONS.fcm,
    });
    const assembly = await readStackAssembly(outDir);
    const endpoints = await this.startStandIns(assembly, logDir);

    const resolver = new IntrinsicResolver({
      region: REGION,
      accountId: ACCOUNT_ID,
      partition: 'aws',
      urlSuffix: 'amazonaws.com',
      stackName: assembly.stackName,
    });
    this.defineResources(assembly, resolver, endpoints);
    await this.provision(assembly, resolver, endpoints);
    if (resourcesOfType(assembly, 'AWS::SNS::Topic').length > 0) {
      this.sns = await this.startSns(assembly, resolver, path.join(dataDir, 'sns'));
      endpoints.sns = this.sns.endpoint;
      this.standInDescriptions.sns = {
        endpoint: this.sns.endpoint,
        topics: Object.fromEntries(resourcesOfType(assembly, 'AWS::SNS::Topic').map(([logicalId]) => [logicalId, resolver.resolveString({ Ref: logicalId })])),
        platformApplications: LOCAL_PUSH_APPLICATIONS,
      };
    }

    const runtimeEnvironment: Record<string, string> = {
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      // This machine's Node.js is older than Lambda's 22; the SDK's reminder of that is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
      ...(endpoints.sqs ? { AWS_ENDPOINT_URL_SQS: endpoints.sqs } : {}),
      ...(endpoints.cassandra ? { AWS_ENDPOINT_URL_KEYSPACES: endpoints.cassandra } : {}),
      ...(endpoints.sns ? { AWS_ENDPOINT_URL_SNS: endpoints.sns } : {}),
    };
    this.lambda = new LambdaService({
      sdkRoot: PROJECT_ROOT,
      logDir: path.join(logDir, 'lambda'),
      runtimeEnvironment,
      maxConcurrency: 8,
      region: REGION,
      meter: this.meter,
    });
    for (const [logicalId, resource] of resourcesOfType(assembly, 'AWS::Lambda::Function')) {
      const properties = resolver.resolve(resource.Properties) as {
        Code: { S3Key: string };
        Handler: string;
        Timeout?: number;
        MemorySize?: number;
        Environment?: { Variables?: Record<string, string> };
      };
      this.lambda.register({
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
    await this.startEventSources(assembly, resolver, endpoints);
    this.startSchedules(assembly, resolver);

    this.gateway = new WebSocketGateway({
      apiId: API_ID,
      stage: this.stageName(assembly),
      region: REGION,
      accountId: ACCOUNT_ID,
      domainName: `127.0.0.1:${port}`,
      idleTimeoutMs: this.config.idleTimeoutSeconds * 1000,
      maxConnectionMs: this.config.maxConnectionSeconds * 1000,
      routes: this.gatewayRoutes(assembly, resolver),
      lambda: this.lambda,
      log: this.log,
    });
    this.ready = true;
  }

  /** Starts, side by side, the stand-ins for the services the template uses. */
  private async startStandIns(assembly: StackAssembly, logDir: string): Promise<StandInEndpoints> {
    const dataDir = this.config.dataDir;
    const uses = (type: string) => resourcesOfType(assembly, type).length > 0;
    const starting: Array<Promise<[keyof StandInEndpoints, RunningStandIn]>> = [];
    const start = (name: keyof StandInEndpoints, label: string, starter: () => Promise<RunningStandIn>) => {
      this.log(`starting ${label}`);
      starting.push(
        starter().then((standIn) => {
          this.standIns.push(standIn);
          return [name, standIn];
        }),
      );
    };
    if (uses('AWS::DynamoDB::Table')) start('dynamodb', 'DynamoDB Local', () => startDynamoDbLocal(path.join(dataDir, 'dynamodb'), logDir));
    if (uses('AWS::SQS::Queue')) start('sqs', 'ElasticMQ (SQS)', () => startElasticMq(path.join(dataDir, 'sqs'), logDir));
    if (uses('AWS::Cassandra::Keyspace')) start('cassandra', 'Cassandra (Keyspaces)', () => startCassandra(path.join(dataDir, 'cassandra'), logDir));
    const results = await Promise.allSettled(starting);
    const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failures.length > 0) throw new Error(failures.map((failure) => (failure.reason as Error).message).join('\n'));
    const started = results.map((result) => (result as PromiseFulfilledResult<[keyof StandInEndpoints, RunningStandIn]>).value);
    for (const [name, standIn] of started) {
      if (standIn.adminPorts) this.standInDescriptions[name] = { adminPorts: standIn.adminPorts };
    }
    return Object.fromEntries(started.map(([name, standIn]) => [name, standIn.endpoint]));
  }

  /** Creates the template's tables, queues and keyspaces in the stand-ins. */
  private async provision(assembly: StackAssembly, resolver: IntrinsicResolver, endpoints: StandInEndpoints): Promise<void> {
    if (endpoints.dynamodb) {
      this.standInDescriptions.dynamodb = { endpoint: endpoints.dynamodb, tables: await this.createTables(assembly, resolver, endpoints.dynamodb) };
    }
    if (endpoints.sqs) {
      this.sqsClient = new SQSClient({ endpoint: endpoints.sqs, region: REGION, credentials: LOCAL_CREDENTIALS });
      const client = this.sqsClient;
      const queues = resourcesOfType(assembly, 'AWS::SQS::Queue').map(([logicalId, resource]) => ({
        logicalId,
        name: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'QueueName'] }),
        arn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
        properties: (resolver.resolve(resource.Properties) ?? {}) as QueueProperties,
      }));
      for (const queue of queueCreationOrder(queues)) {
        await ensureQueue(client, queue.name, queue.properties, this.config.sqsVisibilityTimeoutCapSeconds);
      }
      this.standInDescriptions.sqs = {
        endpoint: endpoints.sqs,
        queues: Object.fromEntries(queues.map((queue) => [queue.logicalId, resolver.resolveString({ Ref: queue.logicalId })])),
      };
    }
    if (endpoints.cassandra) {
      const keyspaces = resourcesOfType(assembly, 'AWS::Cassandra::Keyspace').map(([logicalId]) => resolver.resolveString({ Ref: logicalId }));
      const tables = resourcesOfType(assembly, 'AWS::Cassandra::Table').map(
        ([, resource]) => resolver.resolve(resource.Properties) as CassandraTableProperties,
      );
      await ensureKeyspaces(endpoints.cassandra, keyspaces, tables);
      this.standInDescriptions.cassandra = {
        ...(this.standInDescriptions.cassandra as object),
        endpoint: endpoints.cassandra,
        tables: tables.map((table) => `${table.KeyspaceName}.${table.TableName}`),
      };
    }
  }

  /** Sends each body it is given to a queue: where dead letters and failed batches are described. */
  private sendsTo(queueUrl: string): (body: string) => Promise<void> {
    return async (body) => {
      await this.sqsClient!.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    };
  }

  /** The SNS stand-in, with the template's topics and their Lambda subscriptions. */
  private async startSns(assembly: StackAssembly, resolver: IntrinsicResolver, dataDir: string): Promise<LocalSns> {
    const queueUrlByArn = refsByAttribute(assembly, resolver, 'AWS::SQS::Queue', 'Arn');
    const subscriptions: LambdaSubscriptionTarget[] = [];
    for (const [logicalId, resource] of resourcesOfType(assembly, 'AWS::SNS::Subscription')) {
      const properties = resolver.resolve(resource.Properties) as {
        Protocol: string;
        Endpoint: string;
        TopicArn: string;
        RedrivePolicy?: { deadLetterTargetArn: string };
      };
      if (properties.Protocol !== 'lambda') throw new Error(`subscription ${logicalId} uses ${properties.Protocol}; only lambda subscriptions run locally`);
      const deadLetterUrl = properties.RedrivePolicy && queueUrlByArn.get(properties.RedrivePolicy.deadLetterTargetArn);
      if (properties.RedrivePolicy && deadLetterUrl === undefined) {
        throw new Error(`subscription ${logicalId} redrives to ${properties.RedrivePolicy.deadLetterTargetArn}, which is not a queue of the template`);
      }
      subscriptions.push({
        subscriptionArn: resolver.resolveString({ Ref: logicalId }),
        topicArn: properties.TopicArn,
        invoke: (event) => this.lambda!.invoke(properties.Endpoint, event),
        deadLetter: deadLetterUrl === undefined ? undefined : this.sendsTo(deadLetterUrl),
      });
    }
    return LocalSns.start({
      dataDir,
      topics: resourcesOfType(assembly, 'AWS::SNS::Topic').map(([logicalId]) => resolver.resolveString({ Ref: logicalId })),
      subscriptions,
      log: this.log,
    });
  }

  /** Polls each event source mapping's SQS queue or DynamoDB stream for its function. */
  private async startEventSources(assembly: StackAssembly, resolver: IntrinsicResolver, endpoints: StandInEndpoints): Promise<void> {
    const queueByArn = refsByAttribute(assembly, resolver, 'AWS::SQS::Queue', 'Arn');
    const tableByStreamArn = refsByAttribute(assembly, resolver, 'AWS::DynamoDB::Table', 'StreamArn');
    for (const [logicalId, resource] of resourcesOfType(assembly, 'AWS::Lambda::EventSourceMapping')) {
      const properties = resolver.resolve(resource.Properties) as {
        EventSourceArn: string;
        FunctionName: string;
        BatchSize?: number;
        MaximumBatchingWindowInSeconds?: number;
        FunctionResponseTypes?: string[];
        Enabled?: boolean;
        StartingPosition?: 'LATEST' | 'TRIM_HORIZON';
        MaximumRetryAttempts?: number;
        FilterCriteria?: { Filters?: Array<{ Pattern?: string }> };
        DestinationConfig?: { OnFailure?: { Destination?: string } };
      };
      if (properties.Enabled === false) continue;
      const reportBatchItemFailures = (properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
      const queueUrl = queueByArn.get(properties.EventSourceArn);
      const tableName = tableByStreamArn.get(properties.EventSourceArn);
      if (queueUrl !== undefined && this.sqsClient) {
        const source = new SqsEventSource(
          {
            functionRef: properties.FunctionName,
            queueUrl,
            queueArn: properties.EventSourceArn,
            batchSize: properties.BatchSize ?? 10,
            maximumBatchingWindowSeconds: properties.MaximumBatchingWindowInSeconds ?? 0,
            reportBatchItemFailures,
          },
          this.sqsClient,
          this.lambda!,
          REGION,
          this.log,
          this.meter,
        );
        source.start();
        this.eventSources.push(source);
      } else if (tableName !== undefined && this.dynamoDbClient && endpoints.dynamodb) {
        this.streamsClient ??= new DynamoDBStreamsClient({ endpoint: endpoints.dynamodb, region: REGION, credentials: LOCAL_CREDENTIALS });
        const failureDestination = properties.DestinationConfig?.OnFailure?.Destination;
        const failureQueueUrl = failureDestination === undefined ? undefined : queueByArn.get(failureDestination);
        if (failureDestination !== undefined && failureQueueUrl === undefined) {
          throw new Error(`event source mapping ${logicalId} sends failures to ${failureDestination}; only SQS queues of the template are supported locally`);
        }
        const source = new DynamoDbStreamEventSource(
          {
            functionRef: properties.FunctionName,
            tableName,
            streamArn: properties.EventSourceArn,
            startingPosition: properties.StartingPosition ?? 'LATEST',
            batchSize: properties.BatchSize ?? 100,
            maximumBatchingWindowSeconds: properties.MaximumBatchingWindowInSeconds ?? 0,
            reportBatchItemFailures,
            maximumRetryAttempts: properties.MaximumRetryAttempts ?? -1,
            filter: eventFilterOf(properties.FilterCriteria, `event source mapping ${logicalId}`),
            onFailure: failureQueueUrl === undefined ? undefined : this.sendsTo(failureQueueUrl),
          },
          this.dynamoDbClient,
          this.streamsClient,
          this.lambda!,
          REGION,
          this.log,
        );
        await source.start();
        this.eventSources.push(source);
      } else {
        throw new Error(`event source mapping ${logicalId} reads ${properties.EventSourceArn}; only SQS queues and DynamoDB streams of the template run locally`);
      }
    }
  }

  /** Runs the template's scheduled EventBridge rules against their Lambda targets. */
  private startSchedules(assembly: StackAssembly, resolver: IntrinsicResolver): void {
    const rules: ScheduledRule[] = [];
    for (const [logicalId, resource] of resourcesOfType(assembly, 'AWS::Events::Rule')) {
      const properties = resolver.resolve(resource.Properties) as {
        ScheduleExpression?: string;
        State?: string;
        Targets?: Array<{ Arn: string; Input?: string }>;
      };
      if (properties.ScheduleExpression === undefined) throw new Error(`rule ${logicalId} matches events; only scheduled rules run locally`);
      if (properties.State === 'DISABLED') continue;
      rules.push({
        name: resolver.resolveString({ Ref: logicalId }),
        arn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
        scheduleExpression: properties.ScheduleExpression,
        targets: (properties.Targets ?? []).map((target) => ({ functionRef: target.Arn, input: target.Input })),
      });
    }
    if (rules.length === 0) return;
    this.schedules = new ScheduleRunner(
      rules,
      this.lambda!,
      { region: REGION, accountId: ACCOUNT_ID, periodSecondsOverride: this.config.schedulePeriodSeconds },
      this.log,
    );
    this.schedules.start();
  }

  /** What each template resource resolves to here, for `Ref` and `Fn::GetAtt`. */
  private defineResources(assembly: StackAssembly, resolver: IntrinsicResolver, endpoints: StandInEndpoints): void {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${resource}`;
    for (const [logicalId, resource] of assembly.resources) {
      const physicalName = `${assembly.stackName}-${logicalId}`;
      let values: ResourceValues;
      switch (resource.Type) {
        case 'AWS::DynamoDB::Table':
          values = {
            ref: physicalName,
            attributes: { Arn: arn('dynamodb', `table/${physicalName}`), StreamArn: arn('dynamodb', `table/${physicalName}/stream/local`) },
          };
          break;
        case 'AWS::Events::Rule':
          values = { ref: physicalName, attributes: { Arn: arn('events', `rule/${physicalName}`) } };
          break;
        case 'AWS::Lambda::Function':
          values = { ref: physicalName, attributes: { Arn: arn('lambda', `function:${physicalName}`) } };
          break;
        case 'AWS::ApiGatewayV2::Api':
          values = { ref: API_ID, attributes: { ApiEndpoint: `ws://127.0.0.1:${this.config.port}`, ApiId: API_ID } };
          break;
        case 'AWS::ApiGatewayV2::Stage':
          values = { ref: String((resource.Properties ?? {}).StageName), attributes: {} };
          break;
        case 'AWS::Cognito::UserPool':
          values = { ref: `${REGION}_local`, attributes: { Arn: arn('cognito-idp', `userpool/${REGION}_local`), ProviderURL: this.identity!.issuerUrl } };
          break;
        case 'AWS::Cognito::UserPoolClient':
          values = { ref: LOCAL_AUDIENCE, attributes: { ClientId: LOCAL_AUDIENCE } };
          break;
        case 'AWS::IAM::Role':
          values = { ref: physicalName, attributes: { Arn: arn('iam', `role/${physicalName}`).replace(`:${REGION}:`, '::') } };
          break;
        case 'AWS::SQS::Queue': {
          const name = String(resource.Properties?.QueueName ?? physicalName);
          const url = `${endpoints.sqs}/${ACCOUNT_ID}/${name}`;
          values = { ref: url, attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } };
          break;
        }
        case 'AWS::SNS::Topic': {
          const name = String(resource.Properties?.TopicName ?? physicalName);
          values = { ref: arn('sns', name), attributes: { TopicArn: arn('sns', name), TopicName: name } };
          break;
        }
        case 'AWS::SNS::Subscription':
          values = { ref: `${arn('sns', physicalName)}:${logicalId}`, attributes: {} };
          break;
        case 'AWS::Cassandra::Keyspace':
          values = { ref: String(resource.Properties?.KeyspaceName ?? physicalName), attributes: {} };
          break;
        case 'AWS::Cassandra::Table':
          values = { ref: `${String(resource.Properties?.KeyspaceName)}|${String(resource.Properties?.TableName)}`, attributes: {} };
          break;
        case 'AWS::Logs::LogGroup':
          values = { ref: physicalName, attributes: { Arn: arn('logs', `log-group:${physicalName}:*`) } };
          break;
        default:
          values = { ref: logicalId, attributes: {} };
      }
      resolver.define(logicalId, values);
    }
  }

  /** Creates the template's tables, starts expiring their TTL items, and returns their names by logical id. */
  private async createTables(assembly: StackAssembly, resolver: IntrinsicResolver, endpoint: string): Promise<Record<string, string>> {
    this.dynamoDbClient = new DynamoDBClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    const tables: Record<string, string> = {};
    const expiring: ExpiringTable[] = [];
    for (const [logicalId, resource] of resourcesOfType(assembly, 'AWS::DynamoDB::Table')) {
      const tableName = resolver.resolveString({ Ref: logicalId });
      const properties = resolver.resolve(resource.Properties) as TableProperties;
      tables[logicalId] = tableName;
      await ensureTable(this.dynamoDbClient, tableName, properties);
      if (properties.TimeToLiveSpecification?.Enabled) {
        expiring.push({
          tableName,
          ttlAttribute: properties.TimeToLiveSpecification.AttributeName,
          keyAttributes: (properties.KeySchema ?? []).map((key) => key.AttributeName!),
        });
      }
    }
    if (expiring.length > 0) {
      this.ttlSweeper = new DynamoDbTtlSweeper(this.dynamoDbClient, expiring, this.log);
      this.ttlSweeper.start(this.config.ttlSweepSeconds * 1000);
    }
    return tables;
  }

  private stageName(assembly: StackAssembly): string {
    const stages = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Stage');
    if (stages.length !== 1) throw new Error(`expected one API Gateway stage in the template, found ${stages.length}`);
    return String(stages[0][1].Properties?.StageName);
  }

  /** The WebSocket API's routes, integrations, route responses and authorizer, from the template. */
  private gatewayRoutes(assembly: StackAssembly, resolver: IntrinsicResolver): GatewayRoutes {
    const apis = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Api').filter(([, api]) => api.Properties?.ProtocolType === 'WEBSOCKET');
    if (apis.length !== 1) throw new Error(`expected one WebSocket API in the template, found ${apis.length}`);
    const functionOf = (uri: unknown) => functionArnOf(resolver.resolveString(uri));
    const routesWithResponse = new Set(
      resourcesOfType(assembly, 'AWS::ApiGatewayV2::RouteResponse').map(([, response]) => (response.Properties?.RouteId as { Ref: string }).Ref),
    );

    const byKey = new Map<string, RouteTarget & { authorizerId?: string }>();
    for (const [logicalId, route] of resourcesOfType(assembly, 'AWS::ApiGatewayV2::Route')) {
      const properties = route.Properties ?? {};
      const target = resolver.resolveString(properties.Target);
      const integrationId = target.replace(/^integrations\//, '');
      const integration = assembly.resources.get(integrationId);
      if (integration?.Properties?.IntegrationType !== 'AWS_PROXY') {
        throw new Error(`route ${String(properties.RouteKey)} targets ${integrationId}, which is not a Lambda proxy integration`);
      }
      byKey.set(String(properties.RouteKey), {
        functionRef: functionOf(integration.Properties.IntegrationUri),
        returnResponse: routesWithResponse.has(logicalId),
        authorizerId: properties.AuthorizationType === 'CUSTOM' ? (properties.AuthorizerId as { Ref: string }).Ref : undefined,
      });
    }

    const connect = byKey.get('$connect');
    const authorizerResource = connect?.authorizerId ? assembly.resources.get(connect.authorizerId) : undefined;
    const disconnect = byKey.get('$disconnect');
    byKey.delete('$connect');
    byKey.delete('$disconnect');
    return {
      routeSelectionExpression: String(apis[0][1].Properties?.RouteSelectionExpression),
      connect: connect && {
        ...connect,
        authorizer: authorizerResource && {
          functionRef: functionOf(authorizerResource.Properties?.AuthorizerUri),
          identitySources: (authorizerResource.Properties?.IdentitySource as string[] | undefined) ?? [],
        },
      },
      disconnect,
      byKey,
    };
  }

  private async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const management = url.pathname.match(/^\/([^/]+)\/@connections\/([^/]+)$/);
    if (management && this.ready && this.gateway) {
      return this.gateway.handleManagementRequest(request, response, management[2]);
    }
    if (url.pathname.startsWith('/dev/')) {
      return handleDevRequest(request.method ?? 'GET', url, response, {
        ready: this.ready,
        identity: this.identity,
        standIns: this.standInDescriptions,
        pushNotificationsFor: (userId) => this.sns?.notificationsFor(userId) ?? [],
        dropConnectionsOf: (userId) => this.gateway?.dropWithoutDisconnect(userId) ?? 0,
        meter: this.meter,
        invoke: (functionRef, event) => this.lambda!.invoke(functionRef, event),
        readBody: () => readBody(request),
        functions: () => this.lambda?.functions() ?? [],
      });
    }
    if (this.webApp?.serve(request, response)) return;
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ message: 'Not found' }));
  }

  /** Stops everything this local cloud started. */
  async stop(): Promise<void> {
    this.ready = false;
    await this.gateway?.stop();
    await Promise.allSettled(this.eventSources.map((source) => source.stop()));
    await this.sns?.stop();
    await this.schedules?.stop();
    await this.ttlSweeper?.stop();
    this.streamsClient?.destroy();
    this.dynamoDbClient?.destroy();
    this.sqsClient?.destroy();
    this.lambda?.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.allSettled(this.standIns.map((standIn) => standIn.service.stop()));
  }
}
