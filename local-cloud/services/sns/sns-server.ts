import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MobilePush, type RecordedPush } from './mobile-push';
import { required, SnsError, xmlError, xmlResponse } from './query-protocol';

/** A subscription of the template: SNS delivers the topic's messages to a function. */
export interface LambdaSubscriptionTarget {
  readonly subscriptionArn: string;
  readonly topicArn: string;
  /**
   * Hands the event to Lambda's asynchronous invocation: resolves once Lambda queued it (what the
   * function then does is Lambda's to retry), rejects when Lambda would not take it.
   */
  readonly handOver: (event: unknown) => Promise<unknown>;
  /** Where a message goes once delivery failed for good (the subscription's redrive policy). */
  readonly deadLetter?: (body: string) => Promise<void>;
}

/**
 * A client-side delivery error: the endpoint refused the message for good (the function is gone,
 * or its resource policy does not let SNS in). SNS does not retry these.
 */
export class EndpointRefused extends Error {}

const DELIVERY_ATTEMPTS = 3;

/**
 * What happened on a topic, as SNS counts it for CloudWatch (times are epoch ms): a message
 * published (with its size in bytes), and a message delivered to a subscription or given up on
 * (for a function, once, whatever the number of attempts).
 */
export type TopicActivity =
  | { readonly kind: 'published'; readonly topicArn: string; readonly bytes: number; readonly at: number }
  | { readonly kind: 'delivered' | 'failed'; readonly topicArn: string; readonly at: number };

/**
 * The local stand-in for SNS: topics with Lambda subscriptions (handed to Lambda's asynchronous
 * invocation; only a message Lambda would not take is retried, a client-side refusal not at all,
 * then it goes to the subscription's dead-letter queue), and mobile push through platform endpoints, whose push
 * services are simulated: every notification is recorded for `/dev/push`. It speaks SNS's query
 * protocol, so the unmodified `@aws-sdk/client-sns` client talks to it. Endpoints and recorded
 * notifications are kept in the data folder across restarts.
 */
export class LocalSns {
  private readonly server: Server;
  private readonly push: MobilePush;
  private topics: ReadonlySet<string> = new Set();
  private subscriptions: readonly LambdaSubscriptionTarget[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly activityObservers: Array<(activity: TopicActivity) => void> = [];

  private constructor(
    dataDir: string,
    private readonly log: (message: string) => void,
  ) {
    this.push = new MobilePush(dataDir);
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  /** Listens on a free port, with the platform endpoints and notifications kept in `dataDir`; no topics yet. */
  static async start(options: { dataDir: string; log: (message: string) => void }): Promise<LocalSns> {
    const sns = new LocalSns(options.dataDir, options.log);
    await sns.push.load();
    await new Promise<void>((resolve) => sns.server.listen(0, '127.0.0.1', resolve));
    return sns;
  }

  /** The template's topics and their Lambda subscriptions. */
  configure(topics: Iterable<string>, subscriptions: readonly LambdaSubscriptionTarget[]): void {
    this.topics = new Set(topics);
    this.subscriptions = subscriptions;
  }

  /** Hears what is published to the topics and what becomes of each delivery. */
  onTopicActivity(observer: (activity: TopicActivity) => void): void {
    this.activityObservers.push(observer);
  }

  private report(activity: TopicActivity): void {
    for (const observer of this.activityObservers) observer(activity);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The notifications recorded for a user's devices, oldest first. */
  notificationsFor(userId: string): RecordedPush[] {
    return this.push.notificationsFor(userId);
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
      response.end(xmlError(failure));
    }
  }

  private async dispatch(action: string, params: URLSearchParams): Promise<string> {
    switch (action) {
      case 'Publish':
        return this.publish(params);
      case 'CreatePlatformEndpoint':
        return this.push.createPlatformEndpoint(params);
      case 'DeleteEndpoint':
        return this.push.deleteEndpoint(params);
      case 'GetEndpointAttributes':
        return this.push.getEndpointAttributes(params);
      case 'SetEndpointAttributes':
        return this.push.setEndpointAttributes(params);
      default:
        throw new SnsError(400, 'InvalidAction', `The action ${action} is not valid for this endpoint`);
    }
  }

  private async publish(params: URLSearchParams): Promise<string> {
    const message = required(params, 'Message');
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
      await this.push.pushToDevice(targetArn, messages, message);
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
      this.report({ kind: 'published', topicArn, bytes: Buffer.byteLength(message), at: Date.now() });
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
        await subscription.handOver(event);
        this.report({ kind: 'delivered', topicArn: subscription.topicArn, at: Date.now() });
        return;
      } catch (error) {
        this.log(`SNS delivery ${messageId} to ${subscription.subscriptionArn} failed (attempt ${attempt}): ${(error as Error).message}`);
        if (error instanceof EndpointRefused) break;
        if (attempt < DELIVERY_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
    this.report({ kind: 'failed', topicArn: subscription.topicArn, at: Date.now() });
    if (subscription.deadLetter) await subscription.deadLetter(JSON.stringify(envelope));
    else this.log(`SNS discarded ${messageId} for ${subscription.subscriptionArn}: no dead-letter queue`);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
