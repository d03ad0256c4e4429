import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LambdaService } from './lambda-service';
import { EVENT_SOURCE_MAPPING } from './resource-policy';
import type { Meter } from './metering';

/** An `AWS::Lambda::EventSourceMapping` from an SQS queue, as the template declares it. */
export interface SqsEventSourceMapping {
  readonly functionRef: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
}

const POLLERS_PER_MAPPING = 2;
/** Within a batching window of under a second left, how long a poller waits after an empty receive before the next. */
const WINDOW_POLL_GAP_MS = 100;

/**
 * Lambda's SQS poller: receives batches (up to the batch size, waiting at most the batching
 * window), invokes the function, and deletes what succeeded. A function error deletes nothing;
 * with `ReportBatchItemFailures` only the reported records stay. What stays becomes visible again
 * after the visibility timeout, and the queue's redrive policy moves it to the DLQ in the end.
 */
export class SqsEventSource {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly mapping: SqsEventSourceMapping,
    private readonly sqs: SQSClient,
    private readonly lambda: LambdaService,
    private readonly region: string,
    private readonly log: (message: string) => void,
    private readonly meter: Meter,
  ) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < POLLERS_PER_MAPPING; i++) this.loops.push(this.poll());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  /**
   * A batch as Lambda gathers one: up to the batch size, for at most the batching window, which
   * begins when the previous invocation ends. A queue that was idle through the window hands its
   * first messages over at once; under steady traffic the batch fills for the whole window.
   */
  private async receiveBatch(): Promise<Message[]> {
    const batch: Message[] = [];
    const deadline = Date.now() + this.mapping.maximumBatchingWindowSeconds * 1000;
    while (this.running && batch.length < this.mapping.batchSize) {
      const remainingMs = deadline - Date.now();
      if (batch.length > 0 && remainingMs <= 0) break;
      // Long polls while there is nothing; within the window, never past its end.
      const waitSeconds = batch.length === 0 ? 1 : Math.min(1, Math.floor(remainingMs / 1000));
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.mapping.queueUrl,
          MaxNumberOfMessages: Math.min(10, this.mapping.batchSize - batch.length),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.abort.signal },
      );
      // Lambda's poller pays for these too; the empty receives of an idle queue are a fixed cost, not a per-message one.
      if (Messages.length > 0) this.meter.count('SQS.ReceiveMessage');
      if (Messages.length > 0) this.reportReceived(Messages);
      batch.push(...Messages);
      if (batch.length > 0 && Messages.length === 0 && waitSeconds === 0) await this.pause(Math.min(WINDOW_POLL_GAP_MS, deadline - Date.now()));
    }
    return batch;
  }

  private async pause(ms: number): Promise<void> {
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  private reportReceived(messages: Message[]): void {
    this.lambda.pollerEvents.emit({
      kind: 'sqs-received',
      queueUrl: this.mapping.queueUrl,
      at: Date.now(),
      messages: messages.map((message) => ({
        messageId: message.MessageId!,
        sentTimestamp: Number(message.Attributes?.SentTimestamp),
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount),
      })),
    });
  }

  private toRecord(message: Message) {
    return {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: message.Attributes ?? {},
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          { stringValue: value.StringValue, binaryValue: value.BinaryValue, dataType: value.DataType, stringListValues: [], binaryListValues: [] },
        ]),
      ),
      md5OfBody: message.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.mapping.queueArn,
      awsRegion: this.region,
    };
  }

  /** The messages to delete after an invocation that returned `result`. */
  private succeeded(batch: Message[], result: unknown): Message[] {
    if (!this.mapping.reportBatchItemFailures) return batch;
    const failures = (result as { batchItemFailures?: Array<{ itemIdentifier?: unknown }> } | null)?.batchItemFailures ?? [];
    const failed = new Set(failures.map((failure) => failure.itemIdentifier));
    // As in Lambda: an identifier that names no record of the batch fails the whole batch.
    if ([...failed].some((id) => typeof id !== 'string' || !batch.some((message) => message.MessageId === id))) return [];
    return batch.filter((message) => !failed.has(message.MessageId));
  }

  private async poll(): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.receiveBatch();
        if (batch.length === 0) continue;
        let done: Message[] = [];
        try {
          const result = await this.lambda.invoke(this.mapping.functionRef, { Records: batch.map((message) => this.toRecord(message)) }, EVENT_SOURCE_MAPPING);
          done = this.succeeded(batch, result);
        } catch (error) {
          this.log(`${this.mapping.functionRef} failed a batch of ${batch.length}: ${(error as Error).message}`);
        }
        for (let i = 0; i < done.length; i += 10) {
          this.meter.count('SQS.DeleteMessageBatch');
          const deleting = done.slice(i, i + 10);
          const { Successful = [] } = await this.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.mapping.queueUrl,
              Entries: deleting.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
            }),
          );
          const messageIds = Successful.map((entry) => deleting[Number(entry.Id)].MessageId!);
          this.lambda.pollerEvents.emit({ kind: 'sqs-deleted', queueUrl: this.mapping.queueUrl, at: Date.now(), messageIds });
        }
      } catch (error) {
        if (!this.running) return;
        this.log(`polling ${this.mapping.queueUrl} failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}
