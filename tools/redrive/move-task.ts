import {
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { queueNameOf } from './queues';

export interface RedriveOptions {
  readonly maxMessagesPerSecond?: number;
  readonly timeoutSeconds: number;
  /** Told what happens, a line at a time. */
  readonly log: (line: string) => void;
}

const POLL_INTERVAL_MS = 1_000;
const FINISHED = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

/**
 * Redrives a dead-letter queue with SQS's message move task, back to each message's source queue
 * (no DestinationArn), and waits until the task finishes: the number of messages it moved.
 */
export async function redrive(sqs: SQSClient, deadLetterQueueUrl: string, options: RedriveOptions): Promise<number> {
  const name = queueNameOf(deadLetterQueueUrl);
  const { queueUrls: sources = [] } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterQueueUrl }));
  if (sources.length === 0) throw new Error(`${name} is not a dead-letter queue: no queue's RedrivePolicy names it`);
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }),
  );
  const sourceArn = Attributes.QueueArn!;
  options.log(`moving about ${Attributes.ApproximateNumberOfMessages} messages from ${name} back to ${sources.map(queueNameOf).join(', ')}`);

  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, MaxNumberOfMessagesPerSecond: options.maxMessagesPerSecond }));
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    const task = await latestTask(sqs, sourceArn, TaskHandle!);
    if (task.Status === 'COMPLETED') return task.ApproximateNumberOfMessagesMoved ?? 0;
    if (FINISHED.has(task.Status!)) {
      throw new Error(`the move task ended ${task.Status} after moving ${task.ApproximateNumberOfMessagesMoved ?? 0} messages${task.FailureReason ? `: ${task.FailureReason}` : ''}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the move task is still ${task.Status} after ${options.timeoutSeconds} s (${task.ApproximateNumberOfMessagesMoved ?? 0} of ` +
          `${task.ApproximateNumberOfMessagesToMove ?? '?'} moved); it goes on without this command: follow it with ` +
          `aws sqs list-message-move-tasks --source-arn ${sourceArn}, or stop it with aws sqs cancel-message-move-task --task-handle ${TaskHandle}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * The queue's most recent move task, which is the one started, since a queue has one active task
 * at a time. SQS lists a task's handle only while it runs, so a finished task has none.
 */
async function latestTask(sqs: SQSClient, sourceArn: string, taskHandle: string): Promise<ListMessageMoveTasksResultEntry> {
  const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
  const [task] = Results;
  if (task === undefined || task.Status === undefined) throw new Error(`SQS lists no move task for ${sourceArn} after starting one`);
  if (task.TaskHandle !== undefined && task.TaskHandle !== taskHandle) throw new Error(`another move task (${task.TaskHandle}) runs on ${sourceArn}`);
  return task;
}
