import { callLatencyMs, estimateInvocation, roundTrips } from '../../../bench/aws-estimate';
import { roundTripsBeforeAck, usageOf } from '../../../bench/costs';
import type { MeterSnapshot } from '../../../bench/cloud';
import type { InvocationRecord, SdkCall } from '../../../local-cloud/services/lambda/metering';
import prices from '../../../bench/prices.json';

const call = (service: string, operation: string, start: number, end: number): SdkCall => ({ service, operation, start, end });

function invocation(overrides: Partial<InvocationRecord>): InvocationRecord {
  return { logicalId: 'ChatActions1234', functionName: 'chat', start: 0, durationMs: 300, billedMs: 300, memoryMb: 256, logBytes: 0, failed: false, calls: [], cpuMs: 5, ...overrides };
}

describe('sequential AWS round trips over a whole invocation', () => {
  it('counts calls that overlapped in time once, and calls one after the other each', () => {
    expect(roundTrips([])).toBe(0);
    expect(roundTrips([call('DynamoDB', 'GetItem', 0, 10), call('DynamoDB', 'UpdateItem', 1, 12)])).toBe(1);
    expect(roundTrips([call('DynamoDB', 'GetItem', 0, 10), call('DynamoDB', 'PutItem', 10, 20), call('SQS', 'SendMessage', 25, 30)])).toBe(3);
  });

  it('follows a chain that ran beside one long call, which waves of overlapping calls would merge into one', () => {
    // A and B start together; C waits for A only, while B is still running: on AWS that is A then C, two round trips.
    const calls = [call('DynamoDB', 'GetItem', 0, 5), call('DynamoDB', 'Query', 0, 30), call('DynamoDB', 'PutItem', 6, 10)];
    expect(roundTrips(calls)).toBe(2);
  });

  it('counts the round trips of each send before its ack only', () => {
    const snapshot: MeterSnapshot = {
      since: 0,
      until: 1,
      droppedInvocations: 0,
      pollerRequests: {},
      invocations: [
        invocation({
          calls: [
            call('DynamoDB', 'BatchGetItem', 0, 10),
            call('DynamoDB', 'TransactWriteItems', 10, 30),
            call('ApiGatewayManagementApi', 'PostToConnection', 30, 35),
            call('DynamoDB', 'Query', 35, 40),
            call('ApiGatewayManagementApi', 'PostToConnection', 40, 45),
          ],
        }),
        invocation({ logicalId: 'RelayFunction1', calls: [call('SQS', 'SendMessageBatch', 0, 5), call('ApiGatewayManagementApi', 'PostToConnection', 5, 6)] }),
      ],
    };
    expect(roundTripsBeforeAck(snapshot, 'ChatActions')).toEqual([2]);
  });
});

describe('the AWS estimate of an invocation', () => {
  it('adds the CPU time on the memory’s vCPU share to AWS’s latency along the longest chain, rounded up to a millisecond', () => {
    const estimate = estimateInvocation(
      invocation({
        memoryMb: 256,
        cpuMs: 5,
        calls: [
          call('DynamoDB', 'BatchGetItem', 0, 50),
          call('DynamoDB', 'UpdateItem', 0, 40),
          call('DynamoDB', 'TransactWriteItems', 50, 200),
          call('ApiGatewayManagementApi', 'PostToConnection', 200, 210),
        ],
      }),
    );
    expect(callLatencyMs({ service: 'DynamoDB', operation: 'GetItem' })).toBe(10);
    expect(callLatencyMs({ service: 'DynamoDB', operation: 'TransactWriteItems' })).toBe(20);
    expect(callLatencyMs({ service: 'ApiGatewayManagementApi', operation: 'PostToConnection' })).toBe(20);
    expect(estimate.roundTrips).toBe(3);
    expect(estimate.waitMs).toBe(10 + 20 + 20);
    expect(estimate.cpuOnLambdaMs).toBeCloseTo((5 * 1769) / 256, 6);
    expect(estimate.billedMs).toBe(Math.ceil((5 * 1769) / 256 + 50));
  });

  it('weighs the dearest chain, not the one with the most calls', () => {
    const table = { DynamoDB: { ms: 10 }, SQS: { ms: 100 }, default: { ms: 1 } };
    const calls = [call('DynamoDB', 'GetItem', 0, 5), call('DynamoDB', 'GetItem', 6, 9), call('SQS', 'SendMessage', 0, 9)];
    expect(estimateInvocation(invocation({ memoryMb: 1769, cpuMs: 0.2, calls }), table)).toMatchObject({ roundTrips: 2, waitMs: 100, billedMs: 101 });
  });

  it('gives a function of 1,769 MB or more one vCPU, and bills at least a millisecond', () => {
    expect(estimateInvocation(invocation({ memoryMb: 3008, cpuMs: 0.3, calls: [] })).billedMs).toBe(1);
    expect(estimateInvocation(invocation({ memoryMb: 1769, cpuMs: 2.5, calls: [] })).billedMs).toBe(3);
  });

  it('bills an invocation whose environment died what it was billed here', () => {
    expect(estimateInvocation(invocation({ cpuMs: undefined, billedMs: 3000, calls: [call('DynamoDB', 'GetItem', 0, 5)] })).billedMs).toBe(3000);
  });
});

describe('cost per operation', () => {
  it('prices Lambda duration at the AWS estimate and keeps what was billed here beside it', () => {
    const calls = [call('DynamoDB', 'GetItem', 0, 100), call('ApiGatewayManagementApi', 'PostToConnection', 100, 180)];
    const snapshot: MeterSnapshot = {
      since: 0,
      until: 1,
      droppedInvocations: 0,
      pollerRequests: {},
      // 128 MB, 1 ms of CPU: 1769 / 128 = 13.82 ms on Lambda, plus 10 + 20 ms of round trips: 44 ms billed.
      invocations: [invocation({ memoryMb: 128, billedMs: 200, cpuMs: 1, calls }), invocation({ memoryMb: 128, billedMs: 400, cpuMs: 1, calls })],
    };
    const usage = usageOf('op', snapshot, 2, { apiGatewayMessages: 0, keyspacesWriteUnits: 0 });
    const perGbSecondPerMillion = prices.lambda.arm64PerGbSecond * 1_000_000;
    expect(usage.lambdaGbSeconds).toBeCloseTo((0.3 * 128) / 1024, 5);
    expect(usage.lambdaGbSecondsAwsEstimate).toBeCloseTo((0.044 * 128) / 1024, 5);
    expect(usage.dollarsPerMillion.lambdaDuration).toBeCloseTo(((0.044 * 128) / 1024) * perGbSecondPerMillion, 3);
    expect(usage.dollarsPerMillionMeasured.lambdaDuration).toBeCloseTo(((0.3 * 128) / 1024) * perGbSecondPerMillion, 3);
    expect(usage.dollarsPerMillionMeasured.total - usage.dollarsPerMillion.total).toBeCloseTo(usage.dollarsPerMillionMeasured.lambdaDuration - usage.dollarsPerMillion.lambdaDuration, 2);
    expect(usage.lambdaByFunction.ChatActions1234).toMatchObject({ invocations: 1, memoryMb: 128, measuredMs: 300, cpuMs: 1, roundTrips: 2, waitMs: 30, awsEstimateMs: 44 });
    // The same invocations at each size: at 1,769 MB, 1 ms of CPU and 30 ms of waits bill 31 ms.
    expect(usage.lambdaByFunction.ChatActions1234.atMemory.map(({ memoryMb, ms }) => [memoryMb, ms])).toEqual([
      [128, 44],
      [256, 37],
      [512, 34],
      [1024, 32],
      [1769, 31],
    ]);
  });
});
