import { stagesOf } from '../../../bench/scenarios/persistence';
import type { InvocationRecord, SdkCall } from '../../../local-cloud/services/lambda/metering';

const call = (service: string, operation: string, start: number, end: number): SdkCall => ({ service, operation, start, end });

function invocation(logicalId: string, start: number, durationMs: number, cpuMs: number, calls: SdkCall[]): InvocationRecord {
  return { logicalId, functionName: logicalId, start, durationMs, billedMs: durationMs, memoryMb: 256, logBytes: 0, cpuMs, failed: false, calls };
}

describe('persistence stages', () => {
  it('averages, a batch, the handler, its CPU, the span of the inserts, the span of the release and what the release added after the last insert', () => {
    const stages = stagesOf(
      [
        // Inserts 100-110, a release overlapping them from 105 to 118: 8 ms after the last insert.
        invocation('Persist', 98, 22, 5, [call('Keyspaces', 'Execute', 100, 108), call('Keyspaces', 'Execute', 101, 110), call('DynamoDB', 'BatchWriteItem', 105, 118)]),
        // Inserts 200-204, the release after them, 205-210: 6 ms after the last insert.
        invocation('Persist', 199, 12, 3, [call('Keyspaces', 'Execute', 200, 204), call('DynamoDB', 'BatchWriteItem', 205, 210)]),
        // Another function's invocation is not counted.
        invocation('Relay', 0, 1000, 1000, [call('DynamoDB', 'BatchWriteItem', 0, 1000)]),
      ],
      'Persist',
      [30, 20],
    );
    expect(stages).toEqual({ roundTripMs: 25, functionMs: 17, functionCpuMs: 4, insertsMs: 7, releaseMs: 9, releaseAfterInsertsMs: 7 });
  });
});
