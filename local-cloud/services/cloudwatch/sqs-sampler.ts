import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MetricStore } from './metric-store';
import type { QueueMessageAges } from './sqs-message-ages';

/** The depth metrics, by the queue attribute each is read from. */
const DEPTH_ATTRIBUTES = {
  ApproximateNumberOfMessagesVisible: 'ApproximateNumberOfMessages',
  ApproximateNumberOfMessagesNotVisible: 'ApproximateNumberOfMessagesNotVisible',
  ApproximateNumberOfMessagesDelayed: 'ApproximateNumberOfMessagesDelayed',
} as const;

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
            new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: [...Object.values(DEPTH_ATTRIBUTES), 'VisibilityTimeout', 'RedrivePolicy'] }),
          );
          const now = Date.now();
          const put = (metricName: string, value: number) => this.store.put({ namespace: 'AWS/SQS', metricName, dimensions: { QueueName: queue.name } }, value, now);
          let messages = 0;
          for (const [metricName, attribute] of Object.entries(DEPTH_ATTRIBUTES)) {
            const value = Number(Attributes[attribute]);
            if (!Number.isFinite(value)) continue;
            put(metricName, value);
            messages += value;
          }
          const redrive = Attributes.RedrivePolicy === undefined ? undefined : (JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: number | string });
          const age = this.ages.oldestAgeSeconds(
            queue.url,
            {
              messages,
              visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30),
              maxReceiveCount: redrive?.maxReceiveCount === undefined ? undefined : Number(redrive.maxReceiveCount),
            },
            now,
          );
          if (age !== undefined) put('ApproximateAgeOfOldestMessage', age);
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
