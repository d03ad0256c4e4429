import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** A subscription of the template: SNS delivers the topic's messages to a function. */
export interface LambdaSubscriptionTarget {
  readonly subscriptionArn: string;
  readonly topicArn: string;
  readonly invoke: (event: unknown) => Promise<unknown>;
  /** Where a message goes once delivery failed for good (the subscription's redrive policy). */
  readonly deadLetter?: (body: string) => Promise<void>;
}

/** A notification the stand-in for APNs and FCM received, as `/dev/push` lists it. */
export interface RecordedPush {
  readonly userId: string;
  readonly platform: 'apns' | 'fcm';
  readonly token: string;
  readonly senderId?: string;
  readonly threadId?: string;
  readonly seq?: number;
  readonly preview?: string;
  readonly at: number;
}

interface PlatformEndpoint {
  arn: string;
  applicationArn: string;
  token: string;
  customUserData: string;
  enabled: boolean;
}

class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const DELIVERY_ATTEMPTS = 3;
/** Tokens the simulated push services reject, so tests can watch SNS disable their endpoints. */
const REJECTED_TOKEN_PREFIX = 'invalid-';

const xmlEscape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

function xmlResponse(action: string, result: string): string {
  return (
    `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** `entry.N.key`/`entry.N.value` (or `.Name`/`.Value.StringValue`) lists of the query protocol. */
function queryMap(params: URLSearchParams, prefix: string, key: string, value: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 1; params.has(`${prefix}.entry.${i}.${key}`); i++) {
    map[params.get(`${prefix}.entry.${i}.${key}`)!] = params.get(`${prefix}.entry.${i}.${value}`) ?? '';
  }
  return map;
}

function platformOf(applicationArn: string): 'apns' | 'fcm' {
  const platform = /:app\/(APNS|APNS_SANDBOX|GCM)\//.exec(applicationArn)?.[1];
  if (platform === undefined) throw new SnsError(400, 'InvalidParameter', `Invalid parameter: PlatformApplicationArn ${applicationArn}`);
  return platform === 'GCM' ? 'fcm' : 'apns';
}

/** What the app would receive, read back from the payload SNS would hand to APNs or FCM. */
function notificationFields(platform: 'apns' | 'fcm', payload: string) {
  try {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    const data = (
      platform === 'apns' ? parsed : ((parsed.fcmV1Message as { message?: { data?: unknown } })?.message?.data ?? parsed.data)
    ) as Record<string, unknown> | undefined;
    const seq = Number(data?.seq);
    return {
      senderId: typeof data?.senderId === 'string' ? data.senderId : undefined,
      threadId: typeof data?.threadId === 'string' ? data.threadId : undefined,
      seq: Number.isFinite(seq) ? seq : undefined,
      preview: typeof data?.preview === 'string' ? data.preview : undefined,
    };
  } catch {
    return {};
  }
}

/**
 * The local stand-in for SNS: topics with Lambda subscriptions (delivered with retries, then to the
 * subscription's dead-letter queue), and mobile push through platform endpoints, whose push
 * services are simulated: every notification is recorded for `/dev/push`. It speaks SNS's query
 * protocol, so the unmodified `@aws-sdk/client-sns` client talks to it. Endpoints and recorded
 * notifications are kept in the data folder across restarts.
 */
export class LocalSns {
  private readonly server: Server;
  private endpoints = new Map<string, PlatformEndpoint>();
  private readonly pushLog: RecordedPush[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly dataDir: string,
    private readonly topics: ReadonlySet<string>,
    private readonly subscriptions: readonly LambdaSubscriptionTarget[],
    private readonly log: (message: string) => void,
  ) {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  static async start(options: {
    dataDir: string;
    topics: Iterable<string>;
    subscriptions: LambdaSubscriptionTarget[];
    log: (message: string) => void;
  }): Promise<LocalSns> {
    const sns = new LocalSns(options.dataDir, new Set(options.topics), options.subscriptions, options.log);
    await sns.load();
    await new Promise<void>((resolve) => sns.server.listen(0, '127.0.0.1', resolve));
    return sns;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private get endpointsFile(): string {
    return path.join(this.dataDir, 'platform-endpoints.json');
  }

  private get pushLogFile(): string {
    return path.join(this.dataDir, 'push-notifications.jsonl');
  }

  private async load(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    if (existsSync(this.endpointsFile)) {
      const saved = JSON.parse(await readFile(this.endpointsFile, 'utf8')) as PlatformEndpoint[];
      this.endpoints = new Map(saved.map((endpoint) => [endpoint.arn, endpoint]));
    }
    if (existsSync(this.pushLogFile)) {
      const lines = (await readFile(this.pushLogFile, 'utf8')).split('\n').filter(Boolean);
      this.pushLog.push(...lines.map((line) => JSON.parse(line) as RecordedPush));
    }
  }

  private saveEndpoints(): Promise<void> {
    return writeFile(this.endpointsFile, JSON.stringify([...this.endpoints.values()]));
  }

  /** The notifications recorded for a user's devices, oldest first. */
  notificationsFor(userId: string): RecordedPush[] {
    return this.pushLog.filter((push) => push.userId === userId);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const action = params.get('Action') ?? '';
    try {
      const result = await this.dispatch(action, params);
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      response.end(xmlResponse(action, result));
    } catch (error) {
      const failure = error instanceof SnsError ? error : new SnsError(500, 'InternalError', (error as Error).message);
      if (!(error instanceof SnsError)) this.log(`SNS ${action} failed: ${failure.message}`);
      response.writeHead(failure.status, { 'Content-Type': 'text/xml' });
      response.end(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${failure.code}</Code>` +
          `<Message>${xmlEscape(failure.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
  }

  private required(params: URLSearchParams, name: string): string {
    const value = params.get(name);
    if (!value) throw new SnsError(400, 'InvalidParameter', `Invalid parameter: ${name} is required`);
    return value;
  }

  private async dispatch(action: string, params: URLSearchParams): Promise<string> {
    switch (action) {
      case 'Publish':
        return this.publish(params);
      case 'CreatePlatformEndpoint':
        return this.createPlatformEndpoint(params);
      case 'DeleteEndpoint':
        this.endpoints.delete(this.required(params, 'EndpointArn'));
        await this.saveEndpoints();
        return '';
      case 'GetEndpointAttributes': {
        const endpoint = this.endpointOf(this.required(params, 'EndpointArn'));
        const attributes = { Enabled: String(endpoint.enabled), Token: endpoint.token, CustomUserData: endpoint.customUserData };
        return `<Attributes>${Object.entries(attributes)
          .map(([key, value]) => `<entry><key>${key}</key><value>${xmlEscape(value)}</value></entry>`)
          .join('')}</Attributes>`;
      }
      case 'SetEndpointAttributes': {
        const endpoint = this.endpointOf(this.required(params, 'EndpointArn'));
        const attributes = queryMap(params, 'Attributes', 'key', 'value');
        if (attributes.Enabled !== undefined) endpoint.enabled = attributes.Enabled === 'true';
        if (attributes.Token !== undefined) endpoint.token = attributes.Token;
        if (attributes.CustomUserData !== undefined) endpoint.customUserData = attributes.CustomUserData;
        await this.saveEndpoints();
        return '';
      }
      default:
        throw new SnsError(400, 'InvalidAction', `The action ${action} is not valid for this endpoint`);
    }
  }

  private endpointOf(arn: string): PlatformEndpoint {
    const endpoint = this.endpoints.get(arn);
    if (endpoint === undefined) throw new SnsError(404, 'NotFound', 'Endpoint does not exist');
    return endpoint;
  }

  private async createPlatformEndpoint(params: URLSearchParams): Promise<string> {
    const applicationArn = this.required(params, 'PlatformApplicationArn');
    const token = this.required(params, 'Token');
    platformOf(applicationArn);
    const attributes = queryMap(params, 'Attributes', 'key', 'value');
    const customUserData = params.get('CustomUserData') ?? attributes.CustomUserData ?? '';
    const existing = [...this.endpoints.values()].find((endpoint) => endpoint.applicationArn === applicationArn && endpoint.token === token);
    if (existing && existing.customUserData !== customUserData) {
      throw new SnsError(400, 'InvalidParameter', `Invalid parameter: Token Reason: Endpoint ${existing.arn} already exists with the same Token, but different attributes.`);
    }
    const endpoint = existing ?? {
      arn: `${applicationArn.replace(':app/', ':endpoint/')}/${randomUUID()}`,
      applicationArn,
      token,
      customUserData,
      enabled: attributes.Enabled !== 'false',
    };
    this.endpoints.set(endpoint.arn, endpoint);
    await this.saveEndpoints();
    return `<EndpointArn>${xmlEscape(endpoint.arn)}</EndpointArn>`;
  }

  private async publish(params: URLSearchParams): Promise<string> {
    const message = this.required(params, 'Message');
    const structured = params.get('MessageStructure') === 'json';
    let messages: Record<string, string> | undefined;
    if (structured) {
      try {
        messages = JSON.parse(message) as Record<string, string>;
      } catch {
        throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
      }
      if (typeof messages.default !== 'string') {
        throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Message Structure - No default entry in JSON message body');
      }
    }
    const messageId = randomUUID();
    const targetArn = params.get('TargetArn');
    const topicArn = params.get('TopicArn');
    if (targetArn) {
      await this.pushToDevice(targetArn, messages, message);
    } else if (topicArn) {
      if (!this.topics.has(topicArn)) throw new SnsError(404, 'NotFound', 'Topic does not exist');
      const body = messages ? (messages.lambda ?? messages.default) : message;
      const attributes: Record<string, { Type: string; Value: string }> = {};
      for (let i = 1; params.has(`MessageAttributes.entry.${i}.Name`); i++) {
        attributes[params.get(`MessageAttributes.entry.${i}.Name`)!] = {
          Type: params.get(`MessageAttributes.entry.${i}.Value.DataType`) ?? 'String',
          Value: params.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '',
        };
      }
      for (const subscription of this.subscriptions.filter((candidate) => candidate.topicArn === topicArn)) {
        const delivery = this.deliver(subscription, messageId, params.get('Subject'), body, attributes);
        this.inFlight.add(delivery);
        void delivery.finally(() => this.inFlight.delete(delivery));
      }
    } else {
      throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn is required');
    }
    return `<MessageId>${messageId}</MessageId>`;
  }

  private async pushToDevice(endpointArn: string, messages: Record<string, string> | undefined, message: string): Promise<void> {
    const endpoint = this.endpointOf(endpointArn);
    if (!endpoint.enabled) throw new SnsError(400, 'EndpointDisabled', 'Endpoint is disabled');
    const platform = platformOf(endpoint.applicationArn);
    const payload = messages ? (messages[platform === 'fcm' ? 'GCM' : 'APNS'] ?? messages.APNS_SANDBOX ?? messages.default) : message;
    if (endpoint.token.startsWith(REJECTED_TOKEN_PREFIX)) {
      // As SNS does when APNs or FCM rejects a token: the publish goes through, the endpoint is disabled.
      endpoint.enabled = false;
      await this.saveEndpoints();
      return;
    }
    const push: RecordedPush = {
      userId: endpoint.customUserData,
      platform,
      token: endpoint.token,
      ...notificationFields(platform, payload),
      at: Date.now(),
    };
    this.pushLog.push(push);
    await appendFile(this.pushLogFile, `${JSON.stringify(push)}\n`);
  }

  private async deliver(
    subscription: LambdaSubscriptionTarget,
    messageId: string,
    subject: string | null,
    message: string,
    attributes: Record<string, unknown>,
  ): Promise<void> {
    const envelope = {
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: subscription.topicArn,
      Subject: subject,
      Message: message,
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      Signature: 'local',
      SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/local.pem',
      UnsubscribeUrl: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscription.subscriptionArn}`,
      MessageAttributes: attributes,
    };
    const event = { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: subscription.subscriptionArn, Sns: envelope }] };
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
      try {
        await subscription.invoke(event);
        return;
      } catch (error) {
        this.log(`SNS delivery ${messageId} to ${subscription.subscriptionArn} failed (attempt ${attempt}): ${(error as Error).message}`);
        if (attempt < DELIVERY_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
    if (subscription.deadLetter) await subscription.deadLetter(JSON.stringify(envelope));
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
