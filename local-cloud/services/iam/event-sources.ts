/**
 * Event source mappings read their queue or stream with the function's execution role ("When you
 * use an event source mapping to invoke your function, Lambda uses the execution role to read
 * event data", Lambda Developer Guide), and send failures to an on-failure destination with it.
 * AWS refuses to create a mapping whose role lacks these; the local cloud refuses to start.
 */
import type { IamEnforcer } from './enforcer';

/** What Lambda's poller calls, by the source's kind (AWSLambdaSQSQueueExecutionRole, AWSLambdaDynamoDBExecutionRole). */
const READ_ACTIONS: Readonly<Record<'sqs' | 'stream', readonly string[]>> = {
  sqs: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  stream: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
};

export interface EventSourceMappingGrants {
  /** The mapping's `FunctionName`, resolved: a function name or ARN. */
  readonly functionRef: string;
  readonly eventSourceArn: string;
  /** `DestinationConfig.OnFailure.Destination`, an SQS queue ARN, if any. */
  readonly onFailureArn?: string;
}

/** Each permission the function's role lacks for the mapping to run, worded for a startup error. */
export function missingEventSourceGrants(enforcer: IamEnforcer, mapping: EventSourceMappingGrants): string[] {
  const principal = enforcer.principalForFunction(mapping.functionRef);
  if (principal === undefined) return [`${mapping.functionRef} is not a function of the template`];
  const kind = mapping.eventSourceArn.startsWith('arn:aws:sqs:') ? 'sqs' : 'stream';
  const needs = READ_ACTIONS[kind].map((action) => ({ action, resource: mapping.eventSourceArn }));
  if (mapping.onFailureArn !== undefined) needs.push({ action: 'sqs:SendMessage', resource: mapping.onFailureArn });
  return needs
    .filter(({ action, resource }) => !enforcer.decide(principal, action, resource).allowed)
    .map(({ action, resource }) => `the execution role of ${principal.functionName} does not allow ${action} on ${resource}`);
}
