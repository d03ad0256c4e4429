import { pathPart, sizesOf } from '../../../bench/memory-sizing';
import type { MeterSnapshot } from '../../../bench/cloud';
import type { InvocationRecord, SdkCall } from '../../../local-cloud/services/lambda/metering';
import prices from '../../../bench/prices.json';

const call = (service: string, operation: string, start: number, end: number, cpuMs?: number): SdkCall => ({ service, operation, start, end, cpuMs });
const post = (start: number, end: number, cpuMs: number) => call('ApiGatewayManagementApi', 'PostToConnection', start, end, cpuMs);

function invocation(overrides: Partial<InvocationRecord>): InvocationRecord {
  return { logicalId: 'ChatActions7798E1BA', functionName: 'chat', start: 0, durationMs: 300, billedMs: 300, memoryMb: 256, logBytes: 0, failed: false, calls: [], cpuMs: 10, ...overrides };
}

const snapshotOf = (invocations: InvocationRecord[]): MeterSnapshot => ({ since: 0, until: 1, droppedInvocations: 0, pollerRequests: {}, invocations });

describe('memory sizing', () => {
  it('prices each size as Lambda bills it: the CPU on the size’s vCPU share plus the waits, by the size’s GB-seconds, plus the request', () => {
    // 10 ms of CPU and one 10 ms DynamoDB call: at 128 MB 10 x 1769 / 128 + 10 = 148.2, billed 149 ms.
    const [at128, , , , at1769] = sizesOf([invocation({ calls: [call('DynamoDB', 'GetItem', 0, 50)] })]);
    expect(at128).toEqual({ memoryMb: 128, ms: 149, dollarsPerMillion: expect.any(Number) });
    expect(at128.dollarsPerMillion).toBeCloseTo((0.149 * 128) / 1024 * prices.lambda.arm64PerGbSecond * 1e6 + prices.lambda.perMillionRequests, 3);
    expect(at1769.ms).toBe(20);
  });

  it('takes a path up to the frame it ends with: the CPU used when that post began, the waits before it and the post itself', () => {
    const calls = [call('DynamoDB', 'TransactWriteItems', 0, 30, 2), post(30, 40, 4), call('DynamoDB', 'Query', 40, 60, 5), post(60, 70, 9)];
    const snapshot = snapshotOf([invocation({ calls, cpuMs: 12 }), invocation({ logicalId: 'RelayFunctionE902C34E', calls: [post(0, 5, 1)] })]);

    const ack = pathPart('send to ack', snapshot, 'ChatActions', 'first post');
    expect(ack).toMatchObject({ function: 'ChatActions', samples: 1, memoryMb: 256, cpuMs: 4, waitMs: 20 + 20 });
    expect(ack?.atMemory.find(({ memoryMb }) => memoryMb === 1769)?.ms).toBe(44);
    expect(ack?.atMemory.find(({ memoryMb }) => memoryMb === 128)?.ms).toBeCloseTo((4 * 1769) / 128 + 40, 1);

    expect(pathPart('send to arrival', snapshot, 'ChatActions', 'last post')).toMatchObject({ cpuMs: 9, waitMs: 20 + 20 + 10 + 20 });
    expect(pathPart('whole', snapshot, 'ChatActions', 'end')).toMatchObject({ cpuMs: 12, waitMs: 70 });
  });

  it('counts no invocation of another function, nor one that posted nothing toward a path that ends with a post', () => {
    const snapshot = snapshotOf([invocation({ logicalId: 'ChatActionsX7798E1BA', calls: [post(0, 5, 1)] }), invocation({ calls: [call('DynamoDB', 'GetItem', 0, 5, 1)] })]);
    expect(pathPart('send to ack', snapshot, 'ChatActions', 'first post')).toBeUndefined();
  });
});
