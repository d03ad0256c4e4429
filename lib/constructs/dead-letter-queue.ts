import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag-acknowledgements';

export interface DeadLetterQueueProps {
  /** What waiting messages mean and what the operator should do: the alarm's description. */
  readonly alarmDescription: string;
}

/**
 * Where work that keeps failing ends up: an encrypted queue that keeps it 14 days (SQS's longest),
 * and an alarm that is on while anything waits in it.
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;
  /** In alarm while any message waits in the queue. */
  public readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(this.queue, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter queue, of the work named in its alarm.');
    this.alarm = new Alarm(this, 'Alarm', {
      alarmDescription: props.alarmDescription,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
