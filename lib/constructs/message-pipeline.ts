import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import type { HistoryStore } from './history-store';
import { MessengerFunction } from './messenger-function';

export interface MessagePipelineProps {
  /** Where persisted messages go. */
  readonly history: HistoryStore;
  /** Receives after which a message that keeps failing moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * The way from an accepted message to history: an encrypted SQS queue drained by the persistence
 * function in batches with partial batch responses, and a dead-letter queue, with an alarm, for
 * messages that keep failing. Redrive from the DLQ with SQS's message move task.
 */
export class MessagePipeline extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly persistFunction: MessengerFunction;
  /** In alarm while any message waits in the dead-letter queue. */
  public readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: MessagePipelineProps) {
    super(scope, id);
    const functionTimeout = Duration.seconds(30);

    const deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      alarmDescription: 'Messages failed to reach history and wait in the dead-letter queue; fix the cause, then redrive them.',
    });
    this.deadLetterQueue = deadLetters.queue;
    this.deadLetterAlarm = deadLetters.alarm;
    this.queue = new Queue(this, 'Queue', {
      // Six times the function timeout, as AWS advises for queues that feed Lambda.
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.persistFunction = new MessengerFunction(this, 'Persist', {
      handler: 'persist-messages',
      // Memory sizing rule (docs/benchmark.md): background, so Lambda's minimum; its peak memory measured fits.
      memorySize: 128,
      timeout: functionTimeout,
      environment: props.history.environment,
    });
    props.history.grantWriteMessages(this.persistFunction);
    this.persistFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );
  }

  /** Lets the grantee hand messages to the pipeline (SendMessage by queue URL, which needs nothing else). */
  public grantEnqueue(grantee: IGrantable): Grant {
    return this.queue.grant(grantee, 'sqs:SendMessage');
  }
}
