import { jsonBody, jsonOperation } from '../iam/classify';
import type { ProxiedCall } from '../iam/proxy';
import type { PollerEvent } from '../lambda/poller-events';
import type { MetricStore } from './metric-store';

/** The queue a queue URL names: its last path segment. */
function queueNameOf(queueUrl: unknown): string | undefined {
  return typeof queueUrl === 'string' ? queueUrl.slice(queueUrl.lastIndexOf('/') + 1) || undefined : undefined;
}

function putQueueCount(store: MetricStore, queueName: string, metricName: string, value: number, at: number): void {
  store.put({ namespace: 'AWS/SQS', metricName, dimensions: { QueueName: queueName } }, value, at);
}

/**
 * AWS/SQS counts by QueueName from the functions' own SQS calls, as the IAM proxy let them through
 * and ElasticMQ answered 200: NumberOfMessagesSent and SentMessageSize (the body's bytes) per
 * message of a SendMessage or SendMessageBatch (a batch's entries all count, even one ElasticMQ
 * reports failed), NumberOfMessagesDeleted per entry of a DeleteMessage(Batch).
 */
export function putFunctionSqsCall(store: MetricStore, call: ProxiedCall): void {
  if (call.service !== 'sqs' || call.status !== 200) return;
  let operation: string;
  let body: Record<string, unknown>;
  try {
    operation = jsonOperation('sqs', call.request, ['AmazonSQS']).operation;
    body = jsonBody('sqs', call.request);
  } catch {
    return; // IAM let it through, so it was readable; nothing to count otherwise.
  }
  const queueName = queueNameOf(body.QueueUrl);
  if (queueName === undefined) return;
  const entries = Array.isArray(body.Entries) ? (body.Entries as Array<Record<string, unknown>>) : [];
  const sent = operation === 'SendMessage' ? [body] : operation === 'SendMessageBatch' ? entries : [];
  for (const message of sent) {
    putQueueCount(store, queueName, 'NumberOfMessagesSent', 1, call.at);
    putQueueCount(store, queueName, 'SentMessageSize', Buffer.byteLength(String(message.MessageBody ?? '')), call.at);
  }
  if (operation === 'DeleteMessage') putQueueCount(store, queueName, 'NumberOfMessagesDeleted', 1, call.at);
  if (operation === 'DeleteMessageBatch') putQueueCount(store, queueName, 'NumberOfMessagesDeleted', entries.length, call.at);
}

/**
 * AWS/SQS counts by QueueName from Lambda's SQS pollers: NumberOfMessagesReceived per message a
 * receive returned, NumberOfMessagesDeleted per message deleted after its batch succeeded.
 */
export function putPollerSqsCounts(store: MetricStore, event: PollerEvent): void {
  if (event.kind === 'sqs-received') putQueueCount(store, queueNameOf(event.queueUrl)!, 'NumberOfMessagesReceived', event.messages.length, event.at);
  if (event.kind === 'sqs-deleted' && event.messageIds.length > 0) putQueueCount(store, queueNameOf(event.queueUrl)!, 'NumberOfMessagesDeleted', event.messageIds.length, event.at);
}
