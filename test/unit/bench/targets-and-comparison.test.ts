import { mkdtemp, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatComparison, previousRunFile, type RunResults } from '../../../bench/compare';
import { checkTargets } from '../../../bench/report';

const distribution = (p50: number) => ({ count: 10, p50, p95: p50, p99: p50, mean: p50, max: p50 });

function operation(name: string, awsTotal: number, localTotal: number) {
  return {
    operation: name,
    samples: 10,
    sdkCalls: { ChatActions1: { 'DynamoDB.GetItem': 2 } },
    lambdaInvocations: 1,
    lambdaGbSeconds: 0.01,
    lambdaGbSecondsAwsEstimate: 0.002,
    lambdaByFunction: {},
    dynamodbReadUnits: 1,
    dynamodbWriteUnits: 2,
    sqsRequests: 0,
    snsPublishes: 0,
    snsMobilePushes: 0,
    keyspacesWriteUnits: 0,
    apiGatewayMessages: 2,
    logBytes: 0,
    dollarsPerMillion: { dynamodb: 1, lambdaDuration: 0.03, total: awsTotal },
    dollarsPerMillionMeasured: { lambdaDuration: 0.13, total: localTotal },
  };
}

function run(overrides: Partial<Record<keyof RunResults, unknown>> = {}): RunResults {
  return {
    mode: 'full',
    date: '2026-11-30T19:00:00.000Z',
    commit: 'abc1234',
    machine: { cpus: 2, cpuModel: 'AMD EPYC', memoryGb: 24, platform: 'linux x64', node: '20.20.2' },
    latency: [],
    awsCalls: {
      operations: [operation('1:1 message', 6.9, 8.1), operation('50-member group message', 59, 61), operation('receipt', 3.2, 3.3), operation('connect', 1.6, 1.7), operation('disconnect', 1.5, 1.6)],
      roundTripsBeforeAck: distribution(2),
    },
    fanOut: { directAck: distribution(20), groups: [{ members: 1024, messages: 5, ack: distribution(30), lastArrival: distribution(900), missed: 0, ackRatioToDirect: 1.5 }] },
    persistence: [{ batchSize: 10, messages: 100, concurrency: 4, lambdaPerSecond: 50, rawDriverPerSecond: 100, ratioToFloor: 0.5 }],
    coldStart: { helloWorld: { bytes: 500, loadMs: 0.5 }, bundles: [] },
    ...overrides,
  } as unknown as RunResults;
}

const byTarget = (checks: ReturnType<typeof checkTargets>, start: string) => checks.find((check) => check.target.startsWith(start));

describe("issue 13's targets", () => {
  it('hold the dollars to the AWS estimate, a connect and its disconnect together', () => {
    const checks = checkTargets(run());
    expect(byTarget(checks, 'a 1:1 message')).toMatchObject({ pass: true, measured: '$6.90 ($8.10 with Lambda duration as billed here)' });
    expect(byTarget(checks, 'a 50-member group message')?.pass).toBe(true);
    expect(byTarget(checks, 'a receipt')?.pass).toBe(false);
    expect(byTarget(checks, 'a connect and its disconnect')).toMatchObject({ pass: false, measured: expect.stringMatching(/^\$3\.10 /) });
  });

  it('say "not measured" for what the run did not measure, rather than pass or fail', () => {
    const checks = checkTargets(run({ fanOut: { directAck: distribution(20), groups: [] }, persistence: [] }));
    expect(byTarget(checks, '50 1:1 messages a second')).toMatchObject({ pass: null, measured: 'not measured' });
    expect(byTarget(checks, 'the last member of a 1024-member group')?.pass).toBeNull();
    expect(byTarget(checks, 'persistence at batch size 100')?.pass).toBeNull();
  });

  it('read the throughput scenario: held at 50 messages a second or not', () => {
    const step = { offeredPerSecond: 50, arrival: { p99: 1200 }, lost: 0 };
    expect(byTarget(checkTargets(run({ throughput: { highestHeldPerSecond: 40, steps: [step] } })), '50 1:1')).toMatchObject({ pass: false, measured: expect.stringContaining('p99 1200 ms') });
    expect(byTarget(checkTargets(run({ throughput: { highestHeldPerSecond: 60, steps: [] } })), '50 1:1')?.pass).toBe(true);
    expect(byTarget(checkTargets(run()), 'the last member of a 1024-member group')?.pass).toBe(true);
    expect(byTarget(checkTargets(run()), 'persistence at batch size 10 ')?.pass).toBe(true);
  });
});

describe('the comparison with the run before', () => {
  it('puts the figures of both runs side by side, a dash where the run before had none', () => {
    const before = run({ commit: 'old1234', awsCalls: { operations: [{ ...operation('1:1 message', 14.49, 0), dollarsPerMillionMeasured: undefined }], roundTripsBeforeAck: distribution(2) } });
    const text = formatComparison('npm run bench', run(), 'bench/results/new.json', before, 'bench/results/old.json');
    expect(text).toContain('`npm run bench` on commit `abc1234`');
    expect(text).toContain('before: commit `old1234`');
    // operation, target, now AWS estimate, now as billed here, before as billed here (the old run's only total).
    expect(text).toContain('| 1:1 message | ≤ 7.00 | 6.90 | 8.10 | 14.49 |');
    expect(text).toContain('| receipt | ≤ 3.00 | 3.20 | 3.30 | – |');
    expect(text).toContain('| connect + disconnect | ≤ 3.00 | 3.10 | 3.30 | – |');
  });

  it('shows this run\'s memory sizing, and none for a run from before it', () => {
    const atMemory = [128, 256, 512, 1024, 1769].map((memoryMb) => ({ memoryMb, ms: 2048 / memoryMb, dollarsPerMillion: memoryMb / 100 }));
    const chat = { invocations: 1, memoryMb: 512, measuredMs: 100, cpuMs: 20, roundTrips: 7, waitMs: 100, awsEstimateMs: 170, atMemory };
    const sized = run({ awsCalls: { operations: [{ ...operation('1:1 message', 6.9, 8.1), lambdaByFunction: { ChatActions7798E1BA: chat } }], roundTripsBeforeAck: distribution(2), userPaths: [] } });
    expect(formatComparison('npm run bench', sized, 'new.json')).toContain('| 1:1 message | ChatActions | 512 | 20 | 100 | 16 ms, $1.28 | 8 ms, $2.56 | 4 ms, $5.12 | 2 ms, $10.24 |');
    expect(formatComparison('npm run bench', run(), 'new.json')).not.toContain('Memory sizing');
  });

  it('finds the newest full run written before this one, not an abuse, throughput, persistence, fan-out or smoke run', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'bench-results-'));
    for (const name of ['2026-11-24T032637-8657cdd.json', '2026-11-30T185453-389077a.json', '2026-11-30T190000-389077a-abuse.json', '2026-11-30T190500-aaa-smoke.json', '2026-11-30T191000-bbb-throughput.json', '2026-11-30T192000-bbb-persistence.json', '2026-11-30T193000-bbb-fanout.json', '2026-11-30T200000-ccc.json', '2026-11-30T210000-ddd.json']) {
      await writeFile(path.join(folder, name), '{}');
    }
    expect(await previousRunFile(folder, path.join(folder, '2026-11-30T200000-ccc.json'))).toBe(path.join(folder, '2026-11-30T185453-389077a.json'));
    expect(await previousRunFile(folder, path.join(folder, '2026-11-24T032637-8657cdd.json'))).toBeUndefined();
  });
});
