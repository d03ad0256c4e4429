import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** The properties of an `AWS::SQS::Queue` the local queues honour, after intrinsics are resolved. */
export interface QueueProperties {
  VisibilityTimeout?: number;
  MessageRetentionPeriod?: number;
  DelaySeconds?: number;
  ReceiveMessageWaitTimeSeconds?: number;
  MaximumMessageSize?: number;
  RedrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

function attributesOf(properties: QueueProperties): Partial<Record<QueueAttributeName, string>> {
  const attributes: Partial<Record<QueueAttributeName, string>> = {};
  for (const name of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize'] as const) {
    if (properties[name] !== undefined) attributes[name] = String(properties[name]);
  }
  if (properties.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(properties.RedrivePolicy);
  return attributes;
}

/**
 * Creates the queue in ElasticMQ with the template's attributes, or brings a queue kept from an
 * earlier run up to them. Dead-letter queues must exist first (see `queueCreationOrder`).
 */
export async function ensureQueue(
  client: SQSClient,
  queueName: string,
  properties: QueueProperties,
  visibilityTimeoutCapSeconds?: number,
): Promise<string> {
  const attributes = attributesOf(properties);
  if (visibilityTimeoutCapSeconds !== undefined) {
    attributes.VisibilityTimeout = String(Math.min(Number(attributes.VisibilityTimeout ?? 30), visibilityTimeoutCapSeconds));
  }
  try {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queueName }));
    await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl!;
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
  }
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  return QueueUrl!;
}

/** Orders queues so that every dead-letter queue comes before the queues that redrive to it. */
export function queueCreationOrder<T extends { arn: string; properties: QueueProperties }>(queues: T[]): T[] {
  const isTarget = new Set(queues.map((queue) => queue.properties.RedrivePolicy?.deadLetterTargetArn).filter(Boolean));
  return [...queues.filter((queue) => isTarget.has(queue.arn)), ...queues.filter((queue) => !isTarget.has(queue.arn))];
}
