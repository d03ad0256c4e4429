import { resourcesOfType } from '../../assembly/cloud-assembly';
import { REGION } from '../account';
import type { CloudContext } from '../service';
import { DynamoDbStreamEventSource } from './dynamodb-stream-event-source';
import { eventFilterOf } from './event-filter';
import type { LambdaService } from './lambda-service';
import type { Meter } from './metering';
import { SqsEventSource } from './sqs-event-source';

export const EVENT_SOURCE_MAPPING = 'AWS::Lambda::EventSourceMapping';

/** A poller Lambda runs for an event source mapping. */
export interface EventSource {
  stop(): Promise<void>;
}

interface MappingProperties {
  EventSourceArn: string;
  FunctionName: string;
  BatchSize?: number;
  MaximumBatchingWindowInSeconds?: number;
  FunctionResponseTypes?: string[];
  Enabled?: boolean;
  StartingPosition?: 'LATEST' | 'TRIM_HORIZON';
  MaximumRetryAttempts?: number;
  FilterCriteria?: { Filters?: Array<{ Pattern?: string }> };
  DestinationConfig?: { OnFailure?: { Destination?: string } };
}

/**
 * Starts a poller for each enabled event source mapping of the template: an SQS queue or a
 * DynamoDB stream of the template, read for its function. Each poller is pushed to `started` as
 * soon as it runs, so that a failure further on still stops the ones before it.
 */
export async function startEventSourceMappings(
  { assembly, resolver, exposed, log }: CloudContext,
  lambda: LambdaService,
  meter: Meter,
  started: EventSource[],
): Promise<void> {
  const { queues, dynamodb } = exposed;
  for (const [logicalId, resource] of resourcesOfType(assembly, EVENT_SOURCE_MAPPING)) {
    const properties = resolver.resolve(resource.Properties) as MappingProperties;
    if (properties.Enabled === false) continue;
    const reportBatchItemFailures = (properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
    const queueUrl = queues?.urlOf(properties.EventSourceArn);
    const tableName = dynamodb?.tableOfStream(properties.EventSourceArn);
    if (queues && queueUrl !== undefined) {
      const source = new SqsEventSource(
        {
          functionRef: properties.FunctionName,
          queueUrl,
          queueArn: properties.EventSourceArn,
          batchSize: properties.BatchSize ?? 10,
          maximumBatchingWindowSeconds: properties.MaximumBatchingWindowInSeconds ?? 0,
          reportBatchItemFailures,
        },
        queues.client,
        lambda,
        REGION,
        log,
        meter,
      );
      source.start();
      started.push(source);
    } else if (dynamodb && tableName !== undefined) {
      const failureDestination = properties.DestinationConfig?.OnFailure?.Destination;
      const failureQueueUrl = failureDestination === undefined ? undefined : queues?.urlOf(failureDestination);
      if (failureDestination !== undefined && failureQueueUrl === undefined) {
        throw new Error(`event source mapping ${logicalId} sends failures to ${failureDestination}; only SQS queues of the template are supported locally`);
      }
      const source = new DynamoDbStreamEventSource(
        {
          functionRef: properties.FunctionName,
          tableName,
          streamArn: properties.EventSourceArn,
          startingPosition: properties.StartingPosition ?? 'LATEST',
          batchSize: properties.BatchSize ?? 100,
          maximumBatchingWindowSeconds: properties.MaximumBatchingWindowInSeconds ?? 0,
          reportBatchItemFailures,
          maximumRetryAttempts: properties.MaximumRetryAttempts ?? -1,
          filter: eventFilterOf(properties.FilterCriteria, `event source mapping ${logicalId}`),
          onFailure: failureQueueUrl === undefined ? undefined : queues!.sendsTo(failureQueueUrl),
        },
        dynamodb.client,
        dynamodb.streams,
        lambda,
        REGION,
        log,
      );
      await source.start();
      started.push(source);
    } else {
      throw new Error(`event source mapping ${logicalId} reads ${properties.EventSourceArn}; only SQS queues and DynamoDB streams of the template run locally`);
    }
  }
}
