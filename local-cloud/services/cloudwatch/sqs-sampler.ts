import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MetricStore } from './metric-store';
import type { QueueMessageAges } from './sqs-message-ages';

export interface SampledQueue {
  readonly name: string;
  /** Its URL at the stand-in (the local cloud's own client). */
  readonly url: string;
}

/**
 * SQS's queue-depth metrics (namespace AWS/SQS, by QueueName), sampled from ElasticMQ with
 * GetQueueAttributes, as SQS reports them to CloudWatch once a minute:
 * ApproximateNumberOfMessagesVisible, ...NotVisible and ...Delayed; and ApproximateAgeOfOldestMessage
 * (seconds) of the queues Lambda polls, from the send times their pollers saw (sqs-message-ages.ts),
 * since that is no attribute SQS or ElasticMQ answers.
 */
export class SqsSampler {
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;

  constructor(
    private readonly client: SQSClient,
    private readonly queues: readonly SampledQueue[],
    private readonly store: MetricStore,
    private readonly ages: QueueMessageAges,
    private readonly log: (message: string) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.sampling === undefined) this.sampling = this.sample().finally(() => (this.sampling = undefined));
    }, intervalMs);
  }

  async sample(): Promise<void> {
    await Promise.all(
      this.queues.map(async (queue) => {
        try {
          const { Attributes = {} } = await this.client.send(
            new GetQueueAttributesCommand({
              QueueUrl: queue.url,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed', 'VisibilityTimeout', 'RedrivePolicy'],
            }),
          );
          const now = Date.now();
          const put = (metricName: string, attribute: string) => {
            const value = Number(Attributes[attribute as keyof typeof Attributes]);
            if (Number.isFinite(value)) this.store.put({ namespace: 'AWS/SQS', metricName, dimensions: { QueueName: queue.name } }, value, now);
          };
          put('ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessages');
          put('ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesNotVisible');
          put('ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesDelayed');
          const messages = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'].reduce(
            (sum, attribute) => sum + Number(Attributes[attribute as keyof typeof Attributes] ?? 0),
            0,
          );
          const redrive = Attributes.RedrivePolicy === undefined ? undefined : (JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: number | string });
          const age = this.ages.oldestAgeSeconds(queue.url, { messages, visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30), maxReceiveCount: redrive?.maxReceiveCount === undefined ? undefined : Number(redrive.maxReceiveCount) }, now);
          if (age !== undefined) this.store.put({ namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: queue.name } }, age, now);
        } catch (error) {
          // ElasticMQ stopped by the fault injector: SQS would report nothing for the minute either.
          this.log(`sampling queue ${queue.name} failed: ${(error as Error).message}`);
        }
      }),
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }
}
