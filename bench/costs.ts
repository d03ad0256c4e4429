import prices from './prices.json';
import { isDynamoDbRead } from '../local-cloud/services/lambda/metering';
import { estimateInvocation, gbSeconds as gbSecondsOf, roundTrips } from './aws-estimate';
import type { MeterSnapshot } from './cloud';
import { sizesOf, type SizeEstimate } from './memory-sizing';

/** Functions run by a schedule, whatever the clients do: a fixed cost per minute, not a share of any operation. */
const SCHEDULED_FUNCTIONS = ['ConnectionsStaleConnectionSweeper'];

/** What one operation (a message, a receipt, a connect...) used, averaged over the runs measured. */
export interface OperationUsage {
  readonly operation: string;
  readonly samples: number;
  /** SDK calls per operation, by function and `Service.Operation`. */
  readonly sdkCalls: Record<string, Record<string, number>>;
  readonly lambdaInvocations: number;
  /** Billed here: local milliseconds, which carry DynamoDB Local's and this machine's slowness. */
  readonly lambdaGbSeconds: number;
  /** The AWS estimate (bench/aws-estimate.ts): CPU time on Lambda's vCPU share plus AWS's latency for each sequential round trip. */
  readonly lambdaGbSecondsAwsEstimate: number;
  /**
   * Per function, per invocation: ms billed here, CPU ms, sequential AWS round trips, their AWS
   * waits, the AWS estimate's billed ms at the memory it has (memoryMb) and at each size weighed.
   */
  readonly lambdaByFunction: Record<string, FunctionUsage>;
  readonly dynamodbReadUnits: number;
  readonly dynamodbWriteUnits: number;
  /** SQS requests: the functions' and Lambda's poller's (receives that returned messages, deletes). */
  readonly sqsRequests: number;
  readonly snsPublishes: number;
  readonly snsMobilePushes: number;
  /** Rows written to history: one per message, each under 1 KB, so one write unit. */
  readonly keyspacesWriteUnits: number;
  /** WebSocket frames both ways, each under 32 KB. */
  readonly apiGatewayMessages: number;
  readonly logBytes: number;
  /** US dollars per million operations, by service and in total, with Lambda duration as the AWS estimate. */
  readonly dollarsPerMillion: Record<string, number> & { lambdaDuration: number; total: number };
  /** The same with Lambda duration as billed here: what runs on this machine, not a figure for AWS. */
  readonly dollarsPerMillionMeasured: { lambdaDuration: number; total: number };
}

/** One function's invocations within an operation, per invocation. */
export interface FunctionUsage {
  readonly invocations: number;
  readonly memoryMb: number;
  readonly measuredMs: number;
  readonly cpuMs: number;
  readonly roundTrips: number;
  readonly waitMs: number;
  readonly awsEstimateMs: number;
  readonly atMemory: SizeEstimate[];
}

const round = (value: number, places = 3) => Math.round(value * 10 ** places) / 10 ** places;

/**
 * Turns what the local cloud metered during `samples` operations into usage and list-price cost
 * per operation. DynamoDB units are DynamoDB Local's own consumed-capacity figures.
 */
export function usageOf(
  operation: string,
  snapshot: MeterSnapshot,
  samples: number,
  extra: { apiGatewayMessages: number; keyspacesWriteUnits: number },
): OperationUsage {
  const invocations = snapshot.invocations.filter((invocation) => !SCHEDULED_FUNCTIONS.some((prefix) => invocation.logicalId.startsWith(prefix)));
  const sdkCalls: Record<string, Record<string, number>> = {};
  const byFunction: Record<string, { invocations: number; measuredMs: number; cpuMs: number; roundTrips: number; waitMs: number; awsEstimateMs: number; records: typeof invocations }> = {};
  let gbSeconds = 0;
  let gbSecondsAwsEstimate = 0;
  let readUnits = 0;
  let writeUnits = 0;
  let sqsRequests = 0;
  let snsPublishes = 0;
  let snsMobilePushes = 0;
  let logBytes = 0;
  for (const invocation of invocations) {
    gbSeconds += gbSecondsOf(invocation.billedMs, invocation.memoryMb);
    const estimate = estimateInvocation(invocation);
    gbSecondsAwsEstimate += gbSecondsOf(estimate.billedMs, invocation.memoryMb);
    const fn = (byFunction[invocation.logicalId] ??= { invocations: 0, measuredMs: 0, cpuMs: 0, roundTrips: 0, waitMs: 0, awsEstimateMs: 0, records: [] });
    fn.invocations += 1;
    fn.records.push(invocation);
    fn.waitMs += estimate.waitMs;
    fn.measuredMs += invocation.billedMs;
    fn.cpuMs += estimate.cpuMs;
    fn.roundTrips += estimate.roundTrips;
    fn.awsEstimateMs += estimate.billedMs;
    logBytes += invocation.logBytes;
    const byCall = (sdkCalls[invocation.logicalId] ??= {});
    for (const call of invocation.calls) {
      const name = `${call.service}.${call.operation}`;
      byCall[name] = (byCall[name] ?? 0) + 1;
      if (call.service === 'DynamoDB') {
        const units = call.capacity?.capacityUnits ?? 0;
        if (isDynamoDbRead(call)) readUnits += units;
        else writeUnits += units;
      }
      if (call.service === 'SQS') sqsRequests += 1;
      if (call.service === 'SNS' && call.operation === 'Publish') {
        // A publish to a topic is a publish; one to a device endpoint is a mobile push.
        if (invocation.logicalId.startsWith('PushSend')) snsMobilePushes += 1;
        else snsPublishes += 1;
      }
    }
  }
  sqsRequests += Object.entries(snapshot.pollerRequests)
    .filter(([name]) => name.startsWith('SQS.'))
    .reduce((sum, [, count]) => sum + count, 0);

  const per = (value: number) => value / samples;
  const usage = {
    lambdaInvocations: per(invocations.length),
    lambdaGbSeconds: per(gbSeconds),
    lambdaGbSecondsAwsEstimate: per(gbSecondsAwsEstimate),
    dynamodbReadUnits: per(readUnits),
    dynamodbWriteUnits: per(writeUnits),
    sqsRequests: per(sqsRequests),
    snsPublishes: per(snsPublishes),
    snsMobilePushes: per(snsMobilePushes),
    keyspacesWriteUnits: per(extra.keyspacesWriteUnits),
    apiGatewayMessages: per(extra.apiGatewayMessages),
    logBytes: per(logBytes),
  };
  const million = 1_000_000;
  const dollars = {
    apiGateway: usage.apiGatewayMessages * prices.apiGateway.perMillionMessages,
    lambdaRequests: usage.lambdaInvocations * prices.lambda.perMillionRequests,
    lambdaDuration: usage.lambdaGbSecondsAwsEstimate * prices.lambda.arm64PerGbSecond * million,
    dynamodb: usage.dynamodbReadUnits * prices.dynamodb.perMillionReadUnits + usage.dynamodbWriteUnits * prices.dynamodb.perMillionWriteUnits,
    sqs: usage.sqsRequests * prices.sqs.perMillionRequests,
    sns: usage.snsPublishes * prices.sns.perMillionPublishes + usage.snsMobilePushes * prices.sns.perMillionMobilePush,
    keyspaces: usage.keyspacesWriteUnits * prices.keyspaces.perMillionWriteUnits,
    cloudwatchLogs: ((usage.logBytes * million) / 1024 ** 3) * prices.cloudwatchLogs.perGbIngested,
  };
  const total = Object.values(dollars).reduce((sum, value) => sum + value, 0);
  const measuredDuration = usage.lambdaGbSeconds * prices.lambda.arm64PerGbSecond * million;
  for (const perFunction of Object.values(sdkCalls)) for (const name of Object.keys(perFunction)) perFunction[name] = round(per(perFunction[name]), 2);
  const lambdaByFunction = Object.fromEntries(
    Object.entries(byFunction).map(([fn, sums]) => [
      fn,
      {
        invocations: round(per(sums.invocations), 4),
        memoryMb: sums.records[0].memoryMb,
        measuredMs: round(sums.measuredMs / sums.invocations, 1),
        cpuMs: round(sums.cpuMs / sums.invocations, 2),
        roundTrips: round(sums.roundTrips / sums.invocations, 2),
        waitMs: round(sums.waitMs / sums.invocations, 1),
        awsEstimateMs: round(sums.awsEstimateMs / sums.invocations, 1),
        atMemory: sizesOf(sums.records),
      },
    ]),
  );
  return {
    operation,
    samples,
    sdkCalls,
    ...Object.fromEntries(Object.entries(usage).map(([key, value]) => [key, round(value, 5)])),
    lambdaByFunction,
    dollarsPerMillion: { ...Object.fromEntries(Object.entries(dollars).map(([key, value]) => [key, round(value)])), total: round(total) },
    dollarsPerMillionMeasured: { lambdaDuration: round(measuredDuration), total: round(total - dollars.lambdaDuration + measuredDuration) },
  } as OperationUsage;
}

/**
 * Sequential AWS round trips a send makes before its ack goes out: of each sendMessage
 * invocation, the calls that ended before the ack's PostToConnection started, counted as
 * roundTrips does (calls that overlapped in time are one round trip).
 */
export function roundTripsBeforeAck(snapshot: MeterSnapshot, chatFunctionPrefix: string): number[] {
  const depths: number[] = [];
  for (const invocation of snapshot.invocations) {
    if (!invocation.logicalId.startsWith(chatFunctionPrefix)) continue;
    const ack = invocation.calls.find((call) => call.service === 'ApiGatewayManagementApi' && call.operation === 'PostToConnection');
    if (!ack) continue;
    depths.push(roundTrips(invocation.calls.filter((call) => call.end <= ack.start)));
  }
  return depths;
}
