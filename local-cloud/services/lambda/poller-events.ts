/**
 * What Lambda's pollers see of their event sources, for CloudWatch: the messages an SQS poller
 * received and deleted (SQS's ApproximateAgeOfOldestMessage), and the batches a stream poller
 * handed a function (Lambda's IteratorAge). Times are epoch ms.
 */
export type PollerEvent =
  | {
      readonly kind: 'sqs-received';
      readonly queueUrl: string;
      readonly at: number;
      readonly messages: ReadonlyArray<{ readonly messageId: string; readonly sentTimestamp: number; readonly receiveCount: number }>;
    }
  | { readonly kind: 'sqs-deleted'; readonly queueUrl: string; readonly at: number; readonly messageIds: readonly string[] }
  | { readonly kind: 'stream-batch'; readonly functionName: string; readonly at: number; readonly lastRecordCreatedAt: number };

export type PollerObserver = (event: PollerEvent) => void;

/** The observers of every poller of one Lambda service. */
export class PollerEvents {
  private readonly observers: PollerObserver[] = [];

  observe(observer: PollerObserver): void {
    this.observers.push(observer);
  }

  emit(event: PollerEvent): void {
    for (const observer of this.observers) observer(event);
  }
}
