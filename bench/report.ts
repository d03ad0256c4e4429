import type { BenchmarkResults } from './main';
import type { ThroughputReport } from './scenarios/throughput';

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

const KB = 1024;

/** The issue's targets, each marked pass or fail against what was measured. */
export function checkTargets(results: BenchmarkResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const trips = results.awsCalls.roundTripsBeforeAck;
  checks.push({ target: 'at most 3 sequential AWS round trips before the sent ack', measured: `max ${trips.max} (median ${trips.p50}) over ${trips.count} sends`, pass: trips.max <= 3 });
  const direct = results.awsCalls.operations.find((operation) => operation.operation === '1:1 message');
  if (direct) {
    checks.push({ target: 'a 1:1 message at most $5.00 per million, all in', measured: `$${direct.dollarsPerMillion.total.toFixed(2)}`, pass: direct.dollarsPerMillion.total <= 5 });
  }
  const largest = results.fanOut.groups.at(-1);
  if (largest) {
    checks.push({
      target: 'the sent ack of a 1024-member group at most 1.5 times a 1:1 message’s',
      measured: `${largest.ackRatioToDirect}x at ${largest.members} members`,
      pass: largest.ackRatioToDirect <= 1.5,
    });
  }
  for (const persistence of results.persistence) {
    checks.push({
      target: `persistence at batch size ${persistence.batchSize} at least half the raw-driver floor`,
      measured: `${persistence.ratioToFloor}x (${persistence.lambdaPerSecond} vs ${persistence.rawDriverPerSecond} msg/s)`,
      pass: persistence.ratioToFloor >= 0.5,
    });
  }
  for (const bundle of results.coldStart.bundles) {
    checks.push({
      target: `${bundle.function}: at most 400 KB and 3x hello-world's load time`,
      measured: `${(bundle.bytes / KB).toFixed(0)} KB, ${bundle.loadRatio}x`,
      pass: bundle.bytes <= 400 * KB && bundle.loadRatio <= 3,
    });
  }
  return checks;
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ');
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n');
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
    `2-3. AWS calls and cost per operation (sequential round trips before the ack: median ${results.awsCalls.roundTripsBeforeAck.p50}, max ${results.awsCalls.roundTripsBeforeAck.max})\n` +
      table(
        ['operation', 'λ invocations', 'λ GB-s', 'DDB RRU', 'DDB WRU', 'SQS req', 'SNS', 'KS WRU', 'APIGW msgs', 'log bytes', '$ per million'],
        results.awsCalls.operations.map((operation) => [
          operation.operation,
          operation.lambdaInvocations,
          operation.lambdaGbSeconds.toFixed(5),
          operation.dynamodbReadUnits,
          operation.dynamodbWriteUnits,
          operation.sqsRequests,
          operation.snsPublishes + operation.snsMobilePushes,
          operation.keyspacesWriteUnits,
          operation.apiGatewayMessages,
          Math.round(operation.logBytes),
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
      '\n\nCost breakdown, $ per million operations:\n' +
      table(
        ['operation', ...Object.keys(results.awsCalls.operations[0]?.dollarsPerMillion ?? {})],
        results.awsCalls.operations.map((operation) => [operation.operation, ...Object.values(operation.dollarsPerMillion).map((value) => value.toFixed(3))]),
      ),
  );
  sections.push(
    `4. Group fan-out, all members online (ms; 1:1 ack baseline p50 ${results.fanOut.directAck.p50})\n` +
      table(
        ['members', 'ack p50', 'ack p95', 'last member p50', 'last member p95', 'ack / 1:1 ack', 'missed'],
        results.fanOut.groups.map((group) => [group.members, group.ack.p50, group.ack.p95, group.lastArrival.p50, group.lastArrival.p95, group.ackRatioToDirect, group.missed]),
      ),
  );
  sections.push(
    '5. Persistence into Cassandra (messages/s)\n' +
      table(
        ['batch size', 'messages', 'in flight', 'via the function', 'raw driver', 'ratio'],
        results.persistence.map((run) => [run.batchSize, run.messages, run.concurrency, run.lambdaPerSecond, run.rawDriverPerSecond, run.ratioToFloor]),
      ),
  );
  sections.push(`5b. ${formatThroughput(results.throughput)}`);
  sections.push(
    `6. Cold start: bundle size and module load (hello-world ${(results.coldStart.helloWorld.bytes / KB).toFixed(1)} KB, ${results.coldStart.helloWorld.loadMs} ms; ` +
      `for context, hello-world creating a DynamoDB client ${results.coldStart.helloWorldWithSdk.loadMs} ms)\n` +
      table(
        ['function', 'KB', 'load ms', 'x hello-world'],
        results.coldStart.bundles.map((bundle) => [bundle.function, (bundle.bytes / KB).toFixed(0), bundle.loadMs, bundle.loadRatio]),
      ),
  );
  sections.push('Targets\n' + table(['', 'target', 'measured'], checks.map((check) => [check.pass ? 'PASS' : 'FAIL', check.target, check.measured])));
  return sections.join('\n\n');
}
