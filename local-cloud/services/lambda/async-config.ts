import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { QueueAccess } from '../sqs/module';
import {
  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  type AsyncInvocationSettings,
  type SendToQueue,
} from './async-invocation';

/** An `AWS::Lambda::EventInvokeConfig`, resolved. */
export interface EventInvokeConfigProperties {
  FunctionName: string;
  Qualifier: string;
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
}

/** A function's `DeadLetterConfig`, resolved. */
export interface DeadLetterConfig {
  TargetArn?: string;
}

function inRange(value: number | undefined, min: number, max: number, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${what} is ${value}; Lambda takes ${min} to ${max}`);
  return value;
}

/** A queue of the template that records or discarded events are sent to, with message attributes. */
function queueSender(queues: QueueAccess | undefined, targetArn: string, what: string): SendToQueue {
  const queueUrl = queues?.urlOf(targetArn);
  if (queues === undefined || queueUrl === undefined) {
    throw new Error(`${what} is ${targetArn}; only SQS queues of the template are supported as destinations locally`);
  }
  if (queueUrl.endsWith('.fifo')) throw new Error(`${what} is the FIFO queue ${targetArn}, which Lambda does not deliver to`);
  return async (body, attributes = {}) => {
    await queues.client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
      }),
    );
  };
}

/**
 * How Lambda handles a function's asynchronous invocations, from its event invoke config (if any)
 * and its dead-letter queue (if any), each checked as Lambda would check it. Only the
 * unpublished version runs here, so only `$LATEST` configs are taken.
 */
export function asyncSettingsOf(
  functionLogicalId: string,
  config: { logicalId: string; properties: EventInvokeConfigProperties } | undefined,
  deadLetterConfig: DeadLetterConfig | undefined,
  queues: QueueAccess | undefined,
): AsyncInvocationSettings {
  const properties = config?.properties;
  const name = config ? `event invoke config ${config.logicalId}` : '';
  if (properties && properties.Qualifier !== '$LATEST') {
    throw new Error(`${name} is for qualifier ${properties.Qualifier}; only $LATEST runs locally`);
  }
  const onSuccess = properties?.DestinationConfig?.OnSuccess?.Destination;
  const onFailure = properties?.DestinationConfig?.OnFailure?.Destination;
  const deadLetter = deadLetterConfig?.TargetArn;
  return {
    maximumRetryAttempts: inRange(properties?.MaximumRetryAttempts, 0, 2, DEFAULT_MAXIMUM_RETRY_ATTEMPTS, `${name} MaximumRetryAttempts`),
    maximumEventAgeSeconds: inRange(properties?.MaximumEventAgeInSeconds, 60, 21_600, DEFAULT_MAXIMUM_EVENT_AGE_SECONDS, `${name} MaximumEventAgeInSeconds`),
    onSuccess: onSuccess === undefined ? undefined : queueSender(queues, onSuccess, `${name} OnSuccess destination`),
    onFailure: onFailure === undefined ? undefined : queueSender(queues, onFailure, `${name} OnFailure destination`),
    deadLetter: deadLetter === undefined ? undefined : queueSender(queues, deadLetter, `function ${functionLogicalId}'s DeadLetterConfig target`),
  };
}
