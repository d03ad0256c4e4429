import { isDynamoDbRead, type InvocationRecord, type SdkCall } from '../lambda/metering';
import type { MetricStore } from './metric-store';

/** Errors DynamoDB answers when it throttles a request. */
const THROTTLES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);
/** 400s DynamoDB counts under metrics of their own rather than UserErrors. */
const NOT_USER_ERRORS = new Set(['ConditionalCheckFailedException', 'TransactionCanceledException']);

/**
 * DynamoDB's table metrics (namespace AWS/DynamoDB) from the functions' DynamoDB calls, as the
 * runtime's metering saw them (one per SDK call, after the SDK's retries; runner.cjs):
 * ConsumedRead/WriteCapacityUnits by TableName, from the ConsumedCapacity DynamoDB Local returned
 * (the metering asks for it); for a failed call, per table it named, SystemErrors by TableName and
 * Operation when answered with a 5XX (DynamoDB Local failing, or stopped by the fault injector),
 * ThrottledRequests by TableName and Operation with Read/WriteThrottleEvents by TableName when
 * throttled, and UserErrors (no dimensions) for other 400s.
 */
export function putDynamoDbCalls(store: MetricStore, record: InvocationRecord): void {
  for (const call of record.calls) if (call.service === 'DynamoDB') putCall(store, call);
}

function putCall(store: MetricStore, call: SdkCall): void {
  const reads = isDynamoDbRead(call);
  const put = (metricName: string, dimensions: Record<string, string>, value: number) => store.put({ namespace: 'AWS/DynamoDB', metricName, dimensions }, value, call.end);
  for (const { table, units } of call.capacity?.byTable ?? []) put(reads ? 'ConsumedReadCapacityUnits' : 'ConsumedWriteCapacityUnits', { TableName: table }, units);
  if (call.error === undefined) return;
  const status = call.status ?? 0;
  for (const table of call.tables ?? []) {
    if (status >= 500) put('SystemErrors', { TableName: table, Operation: call.operation }, 1);
    else if (THROTTLES.has(call.error)) {
      put('ThrottledRequests', { TableName: table, Operation: call.operation }, 1);
      put(reads ? 'ReadThrottleEvents' : 'WriteThrottleEvents', { TableName: table }, 1);
    }
  }
  if (status === 400 && !THROTTLES.has(call.error) && !NOT_USER_ERRORS.has(call.error)) put('UserErrors', {}, 1);
}
