import type { BenchmarkResults } from './main';
import type { ThroughputReport } from './scenarios/throughput';
import { MEMORY_SIZES_MB } from './aws-estimate';
import type { FanOutReport } from './scenarios/fanout';
import type { PersistenceResult } from './scenarios/persistence';

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** Null when the run did not measure it (a smoke run's small groups, a scenario left out). */
  readonly pass: boolean | null;
}

const KB = 1024;

/** What the targets read of the throughput scenario (bench/scenarios/throughput.ts), if the run had one. */
export interface ThroughputSummary {
  readonly highestHeldPerSecond: number;
  readonly steps: ReadonlyArray<{ readonly offeredPerSecond: number; readonly arrival: { readonly p99: number }; readonly lost: number }>;
}

/** The throughput target: 50 1:1 messages a second, p99 send to arrival at most 1 s, none lost. */
export const THROUGHPUT_TARGET_PER_SECOND = 50;

/** Issue 13's dollar targets, per million, on the AWS estimate (bench/aws-estimate.ts). */
export const DOLLAR_TARGETS: ReadonlyArray<{ readonly label: string; readonly operations: readonly string[]; readonly atMost: number }> = [
  { label: 'a 1:1 message', operations: ['1:1 message'], atMost: 7 },
  { label: 'a 50-member group message', operations: ['50-member group message'], atMost: 60 },
  { label: 'a receipt', operations: ['receipt'], atMost: 3 },
  { label: 'a connect and its disconnect', operations: ['connect', 'disconnect'], atMost: 3 },
  { label: 'a connect and its disconnect with a 1-hour token', operations: ['connect, 1-hour token', 'disconnect, 1-hour token'], atMost: 3 },
];

/** The targets (issue 13's and those of earlier issues that still matter), each marked pass, fail or not measured. */
export function checkTargets(results: BenchmarkResults & { readonly throughput?: ThroughputSummary }): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const operations = new Map(results.awsCalls.operations.map((operation) => [operation.operation, operation]));
  for (const target of DOLLAR_TARGETS) {
    const measured = target.operations.map((name) => operations.get(name));
    const text = `${target.label} at most $${target.atMost.toFixed(2)} per million, all in (Lambda duration as the AWS estimate)`;
    if (measured.some((operation) => operation === undefined)) {
      checks.push({ target: text, measured: 'not measured', pass: null });
      continue;
    }
    if (measured.some((operation) => operation!.dollarsPerMillionMeasured === undefined)) {
      // A results file from before the AWS estimate: its total has Lambda duration as billed here.
      const local = measured.reduce((sum, operation) => sum + operation!.dollarsPerMillion.total, 0);
      checks.push({ target: text, measured: `not measured (a run before the AWS estimate; $${local.toFixed(2)} with Lambda duration as billed here)`, pass: null });
      continue;
    }
    const total = measured.reduce((sum, operation) => sum + operation!.dollarsPerMillion.total, 0);
    const local = measured.reduce((sum, operation) => sum + operation!.dollarsPerMillionMeasured.total, 0);
    checks.push({ target: text, measured: `$${total.toFixed(2)} ($${local.toFixed(2)} with Lambda duration as billed here)`, pass: total <= target.atMost });
  }
  const throughput = results.throughput;
  const atTarget = throughput?.steps.find((step) => step.offeredPerSecond === THROUGHPUT_TARGET_PER_SECOND);
  checks.push({
    target: `${THROUGHPUT_TARGET_PER_SECOND} 1:1 messages a second, fresh threads: p99 send to arrival at most 1 s, none lost`,
    measured:
      throughput === undefined
        ? 'not measured'
        : `highest rate held ${throughput.highestHeldPerSecond} msg/s` + (atTarget ? ` (at ${atTarget.offeredPerSecond}: p99 ${atTarget.arrival.p99} ms, ${atTarget.lost} lost)` : ''),
    pass: throughput === undefined ? null : throughput.highestHeldPerSecond >= THROUGHPUT_TARGET_PER_SECOND,
  });
  const largest = results.fanOut.groups.find((group) => group.members === 1024);
  checks.push({
    target: 'the last member of a 1024-member group gets a message within 1 s (p50)',
    measured: largest ? `${largest.lastArrival.p50} ms` : 'not measured (no 1024-member group in this run)',
    pass: largest ? largest.lastArrival.p50 <= 1000 : null,
  });
  if (largest) {
    checks.push({ target: 'the sent ack of a 1024-member group at most 1.5 times a 1:1 message’s', measured: `${largest.ackRatioToDirect}x`, pass: largest.ackRatioToDirect <= 1.5 });
  }
  for (const batchSize of [10, 100]) {
    const persistence = results.persistence.find((run) => run.batchSize === batchSize);
    checks.push({
      target: `persistence at batch size ${batchSize} at least half the raw-driver floor`,
      measured: persistence ? `${persistence.ratioToFloor}x (${persistence.lambdaPerSecond} vs ${persistence.rawDriverPerSecond} msg/s)` : 'not measured',
      pass: persistence ? persistence.ratioToFloor >= 0.5 : null,
    });
  }
  const trips = results.awsCalls.roundTripsBeforeAck;
  checks.push({ target: 'at most 3 sequential AWS round trips before the sent ack', measured: `max ${trips.max} (median ${trips.p50}) over ${trips.count} sends`, pass: trips.max <= 3 });
  const largestBundle = [...results.coldStart.bundles].sort((a, b) => b.bytes - a.bytes)[0];
  if (largestBundle) {
    checks.push({ target: 'every bundle at most 400 KB', measured: `largest ${(largestBundle.bytes / KB).toFixed(0)} KB (${largestBundle.function})`, pass: largestBundle.bytes <= 400 * KB });
  }
  return checks;
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ');
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Each group size's ack and last member's arrival, beside the 1:1 ack. */
export function formatFanOut(report: FanOutReport): string {
  return (
    `Group fan-out, all members online (ms; 1:1 ack baseline p50 ${report.directAck.p50})\n` +
    table(
      ['members', 'ack p50', 'ack p95', 'last member p50', 'last member p95', 'ack / 1:1 ack', 'missed'],
      report.groups.map((group) => [group.members, group.ack.p50, group.ack.p95, group.lastArrival.p50, group.lastArrival.p95, group.ackRatioToDirect, group.missed]),
    )
  );
}

/** Each batch size's rate through the function beside the raw driver's, and where a batch's time went. */
export function formatPersistence(runs: readonly PersistenceResult[]): string {
  return (
    'Persistence into Cassandra (messages/s; then ms a batch through the function: the bench\'s invoke to its answer, the handler, its CPU, ' +
    'the inserts, the release of the staged copies, and of the release what came after the last insert)\n' +
    table(
      ['batch size', 'messages', 'in flight', 'via the function', 'raw driver', 'ratio', 'invoke ms', 'handler ms', 'CPU ms', 'inserts ms', 'release ms', 'release after inserts ms'],
      runs.map((run) => [
        run.batchSize,
        run.messages,
        run.concurrency,
        run.lambdaPerSecond,
        run.rawDriverPerSecond,
        run.ratioToFloor,
        ...(run.stages === undefined
          ? ['–', '–', '–', '–', '–', '–']
          : [run.stages.roundTripMs, run.stages.functionMs, run.stages.functionCpuMs, run.stages.insertsMs, run.stages.releaseMs, run.stages.releaseAfterInsertsMs]),
      ]),
    )
  );
}

/** The throughput steps as text: each offered rate with what it achieved, and the highest that held. */
export function formatThroughput(report: ThroughputReport): string {
  return (
    `Throughput, 1:1 messages from ${report.users} users on fresh threads, ${report.stepSeconds} s a step (ms; held: arrival p99 <= ${report.arrivalP99LimitMs} ms, nothing lost): ` +
    `highest held ${report.highestHeldPerSecond} msg/s${report.skippedRates.length > 0 ? ` (not run after an overloaded step: ${report.skippedRates.join(', ')} msg/s)` : ''}\n` +
    table(
      ['offered msg/s', 'sent msg/s', 'achieved msg/s', 'ack p50', 'ack p99', 'arrival p50', 'arrival p99', 'lost', 'errors', 'held'],
      report.steps.map((step) => [
        step.offeredPerSecond,
        step.sentPerSecond,
        step.achievedPerSecond,
        step.ack.p50,
        step.ack.p99,
        step.arrival.p50,
        step.arrival.p99,
        step.lost,
        JSON.stringify(step.errors),
        step.held ? 'yes' : 'no',
      ]),
    )
  );
}

/** The memory sizing tables (bench/memory-sizing.ts): each function's cost and duration at each size, and the user-facing paths' latency. */
export function formatMemorySizing(results: Pick<BenchmarkResults, 'awsCalls'>): string {
  const sizes = MEMORY_SIZES_MB.map((memoryMb) => `${memoryMb} MB`);
  return (
    '3b. Memory sizing on the AWS estimate\'s model (CPU ms here x 1769 / memory, plus AWS waits; arm64 prices). ' +
    'Per invocation of each function: its mean estimated ms / $ per million invocations (duration and requests) at each size.\n' +
    table(
      ['operation', 'function', 'MB now', 'CPU ms', 'AWS waits ms', ...sizes],
      results.awsCalls.operations.flatMap((operation) =>
        Object.entries(operation.lambdaByFunction).map(([fn, lambda]) => [
          operation.operation,
          fn,
          lambda.memoryMb ?? '-',
          lambda.cpuMs,
          lambda.waitMs ?? '-',
          ...MEMORY_SIZES_MB.map((memoryMb) => {
            const at = lambda.atMemory?.find((size) => size.memoryMb === memoryMb);
            return at ? `${at.ms} / $${at.dollarsPerMillion.toFixed(2)}` : '-';
          }),
        ]),
      ),
    ) +
    '\n\nUser-facing paths: what each function adds to them (CPU ms and AWS waits up to the frame the user waits for), estimated ms at each size:\n' +
    table(
      ['path', 'function', 'samples', 'MB now', 'CPU ms', 'AWS waits ms', ...sizes],
      (results.awsCalls.userPaths ?? []).map((part) => [
        part.path,
        part.function,
        part.samples,
        part.memoryMb,
        part.cpuMs,
        part.waitMs,
        ...MEMORY_SIZES_MB.map((memoryMb) => part.atMemory.find((size) => size.memoryMb === memoryMb)?.ms ?? '-'),
      ]),
    )
  );
}

/** The report as text: one table per measurement, then the targets. */
export function formatReport(results: BenchmarkResults, checks: readonly TargetCheck[]): string {
  const sections: string[] = [];
  sections.push(`Benchmark (${results.mode}) ${results.date}, commit ${results.commit}, ${results.machine.cpus} x ${results.machine.cpuModel}, ${results.machine.memoryGb} GB, Node.js ${results.machine.node}`);
  sections.push(
    '1. Latency, 1:1 chat (ms)\n' +
      table(
        ['users', 'msg/s', 'ack p50', 'ack p95', 'ack p99', 'arrival p50', 'arrival p95', 'arrival p99', 'floor p50', 'floor p99', 'ack/floor p50', 'lost', 'errors'],
        results.latency.map((run) => [
          run.users,
          run.offeredPerSecond,
          run.ack.p50,
          run.ack.p95,
          run.ack.p99,
          run.arrival.p50,
          run.arrival.p95,
          run.arrival.p99,
          run.floor.p50,
          run.floor.p99,
          (run.ack.p50 / run.floor.p50).toFixed(1),
          run.lost,
          JSON.stringify(run.errors),
        ]),
      ),
  );
  sections.push(
    `2-3. AWS calls and cost per operation (sequential round trips before the ack: median ${results.awsCalls.roundTripsBeforeAck.p50}, max ${results.awsCalls.roundTripsBeforeAck.max}). ` +
      'Lambda duration two ways: as billed here (local ms, DynamoDB Local\'s slowness included) and the AWS estimate (CPU time on the vCPU share of the memory, plus AWS\'s published latency per sequential call; bench/aws-latency.json). $ per million uses the AWS estimate.\n' +
      table(
        ['operation', 'λ invocations', 'λ GB-s here', 'λ GB-s AWS est.', 'DDB RRU', 'DDB WRU', 'SQS req', 'SNS', 'KS WRU', 'APIGW msgs', 'log bytes', '$/M, λ as here', '$ per million'],
        results.awsCalls.operations.map((operation) => [
          operation.operation,
          operation.lambdaInvocations,
          operation.lambdaGbSeconds.toFixed(5),
          operation.lambdaGbSecondsAwsEstimate.toFixed(5),
          operation.dynamodbReadUnits,
          operation.dynamodbWriteUnits,
          operation.sqsRequests,
          operation.snsPublishes + operation.snsMobilePushes,
          operation.keyspacesWriteUnits,
          operation.apiGatewayMessages,
          Math.round(operation.logBytes),
          operation.dollarsPerMillionMeasured.total.toFixed(2),
          operation.dollarsPerMillion.total.toFixed(2),
        ]),
      ) +
      '\n\nSDK calls per operation, by function:\n' +
      results.awsCalls.operations
        .map(
          (operation) =>
            `  ${operation.operation}: ` +
            Object.entries(operation.sdkCalls)
              .map(([fn, calls]) => `${fn} {${Object.entries(calls).map(([name, count]) => `${name} ${count}`).join(', ')}}`)
              .join('; '),
        )
        .join('\n') +
      '\n\nLambda per invocation, by function (ms billed here; CPU ms here; sequential AWS round trips; ms the AWS estimate bills):\n' +
      table(
        ['operation', 'function', 'invocations per op', 'ms here', 'CPU ms', 'round trips', 'ms AWS est.'],
        results.awsCalls.operations.flatMap((operation) =>
          Object.entries(operation.lambdaByFunction).map(([fn, lambda]) => [operation.operation, fn, lambda.invocations, lambda.measuredMs, lambda.cpuMs, lambda.roundTrips, lambda.awsEstimateMs]),
        ),
      ) +
      '\n\nCost breakdown, $ per million operations (lambdaDuration: the AWS estimate; λ here: as billed on this machine, not in the total):\n' +
      table(
        ['operation', ...Object.keys(results.awsCalls.operations[0]?.dollarsPerMillion ?? {}), 'λ here'],
        results.awsCalls.operations.map((operation) => [
          operation.operation,
          ...Object.values(operation.dollarsPerMillion).map((value) => value.toFixed(3)),
          operation.dollarsPerMillionMeasured.lambdaDuration.toFixed(3),
        ]),
      ),
  );
  sections.push(formatMemorySizing(results));
  sections.push(`4. ${formatFanOut(results.fanOut)}`);
  sections.push(`5. ${formatPersistence(results.persistence)}`);
  sections.push(`5b. ${formatThroughput(results.throughput)}`);
  sections.push(
    `6. Cold start: bundle size and module load (hello-world ${(results.coldStart.helloWorld.bytes / KB).toFixed(1)} KB, ${results.coldStart.helloWorld.loadMs} ms; ` +
      `the SDK hello-world requires the same @aws-sdk packages and creates the same clients as the function, with its environment; our share is the difference)\n` +
      table(
        ['function', 'KB', 'load ms', 'x hello-world', 'SDK hello-world ms', 'our share ms', 'load CPU ms', 'SDK hello-world CPU ms', 'our share CPU ms', 'SDK packages'],
        results.coldStart.bundles.map((bundle) => [
          bundle.function,
          (bundle.bytes / KB).toFixed(0),
          bundle.loadMs,
          bundle.loadRatio,
          bundle.sdkHelloWorldMs,
          bundle.ownShareMs,
          bundle.loadCpuMs,
          bundle.sdkHelloWorldCpuMs,
          bundle.ownShareCpuMs,
          bundle.sdkPackages.map((pkg) => pkg.replace('@aws-sdk/', '')).join(' '),
        ]),
      ),
  );
  sections.push('Targets\n' + table(['', 'target', 'measured'], checks.map((check) => [check.pass === null ? '----' : check.pass ? 'PASS' : 'FAIL', check.target, check.measured])));
  return sections.join('\n\n');
}
