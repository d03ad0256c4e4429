import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { BenchmarkResults } from './main';
import { MEMORY_SIZES_MB } from './aws-estimate';
import { checkTargets, DOLLAR_TARGETS, THROUGHPUT_TARGET_PER_SECOND, type TargetCheck, type ThroughputSummary } from './report';

/**
 * The latest run beside the one before it, as Markdown for docs/benchmark.md and the README.
 * Runs written before the AWS estimate have no CPU figures, so their dollars are with Lambda
 * duration as billed on this machine only; the table says which is which.
 */

/** A results file of any date: older ones lack what later runs added. */
export type RunResults = BenchmarkResults & { readonly throughput?: ThroughputSummary };

type Operation = RunResults['awsCalls']['operations'][number];
type Cell = string | number | undefined;

/** A Markdown table; an absent value shows as a dash. */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const line = (cells: readonly Cell[]) => `| ${cells.map((cell) => (cell === undefined || (typeof cell === 'number' && Number.isNaN(cell)) ? '–' : String(cell))).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

const money = (value: number | undefined) => (value === undefined ? undefined : value.toFixed(2));
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** Dollars per million with Lambda duration as billed here: every run has that figure. */
function localTotal(operation: Operation | undefined): number | undefined {
  if (operation === undefined) return undefined;
  return operation.dollarsPerMillionMeasured?.total ?? operation.dollarsPerMillion.total;
}

/** Dollars per million with Lambda duration as the AWS estimate: only runs since the estimate have it. */
function awsTotal(operation: Operation | undefined): number | undefined {
  return operation?.dollarsPerMillionMeasured === undefined ? undefined : operation.dollarsPerMillion.total;
}

function localLambdaDuration(operation: Operation | undefined): number | undefined {
  if (operation === undefined) return undefined;
  return operation.dollarsPerMillionMeasured?.lambdaDuration ?? operation.dollarsPerMillion.lambdaDuration;
}

function sdkCallCount(operation: Operation | undefined): number | undefined {
  if (operation === undefined) return undefined;
  return Math.round(sum(Object.values(operation.sdkCalls).flatMap((calls) => Object.values(calls))) * 100) / 100;
}

function describeRun(run: RunResults, file: string): string {
  const { machine } = run;
  return `commit \`${run.commit}\`, ${run.date.slice(0, 16).replace('T', ' ')} UTC, ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, Node.js ${machine.node} (\`${file}\`)`;
}

function costSection(now: RunResults, before: RunResults | undefined): string {
  const operationsOf = (run: RunResults | undefined) => new Map((run?.awsCalls.operations ?? []).map((operation) => [operation.operation, operation]));
  const [nowOps, beforeOps] = [operationsOf(now), operationsOf(before)];
  const targetOf = (name: string) => DOLLAR_TARGETS.find((target) => target.operations.length === 1 && target.operations[0] === name)?.atMost;
  const names = [...nowOps.keys()];
  const dollars = markdownTable(
    ['operation', 'target', 'now, AWS estimate', 'now, λ as billed here', 'before, λ as billed here', 'DynamoDB before', 'DynamoDB now', 'λ duration here before', 'λ duration here now', 'λ duration AWS estimate now'],
    names.map((name) => {
      const [n, b] = [nowOps.get(name), beforeOps.get(name)];
      const target = targetOf(name);
      return [name, target === undefined ? undefined : `≤ ${target.toFixed(2)}`, money(awsTotal(n)), money(localTotal(n)), money(localTotal(b)), money(b?.dollarsPerMillion.dynamodb), money(n?.dollarsPerMillion.dynamodb), money(localLambdaDuration(b)), money(localLambdaDuration(n)), money(awsTotal(n) === undefined ? undefined : n?.dollarsPerMillion.lambdaDuration)];
    }),
  );
  const pair = (label: string, atMost: number, parts: string[]) => {
    const total = (ops: Map<string, Operation>, of: (operation: Operation | undefined) => number | undefined) => {
      const values = parts.map((part) => of(ops.get(part)));
      return values.some((value) => value === undefined) ? undefined : sum(values as number[]);
    };
    return [label, `≤ ${atMost.toFixed(2)}`, money(total(nowOps, awsTotal)), money(total(nowOps, localTotal)), money(total(beforeOps, localTotal))];
  };
  const combined = DOLLAR_TARGETS.filter((target) => target.operations.length > 1).map((target) => pair(target.operations.join(' + '), target.atMost, [...target.operations]));
  const usage = markdownTable(
    ['operation', 'SDK calls before', 'now', 'DDB RRU before', 'now', 'DDB WRU before', 'now', 'λ invocations before', 'now', 'λ GB-s here before', 'now', 'λ GB-s AWS estimate now'],
    names.map((name) => {
      const [n, b] = [nowOps.get(name), beforeOps.get(name)];
      return [name, sdkCallCount(b), sdkCallCount(n), b?.dynamodbReadUnits, n?.dynamodbReadUnits, b?.dynamodbWriteUnits, n?.dynamodbWriteUnits, b?.lambdaInvocations, n?.lambdaInvocations, b?.lambdaGbSeconds, n?.lambdaGbSeconds, n?.lambdaGbSecondsAwsEstimate];
    }),
  );
  return (
    '**Dollars per million operations** (targets on the AWS estimate of Lambda duration; runs before the estimate have only the figure as billed here):\n\n' +
    dollars +
    '\n\n' +
    markdownTable(['operations together', 'target', 'now, AWS estimate', 'now, λ as billed here', 'before, λ as billed here'], combined) +
    '\n\n**What each operation used** (averages; DynamoDB units as the local runtime meters them: DynamoDB Local’s reports, transactions and failed conditional writes as AWS bills them):\n\n' +
    usage
  );
}

function latencySection(now: RunResults, before: RunResults | undefined): string {
  const rows = now.latency.map((run) => {
    const b = before?.latency.find((old) => old.users === run.users && old.offeredPerSecond === run.offeredPerSecond);
    return [run.users, run.offeredPerSecond, b?.ack.p50, run.ack.p50, b?.ack.p99, run.ack.p99, b?.arrival.p50, run.arrival.p50, b?.arrival.p99, run.arrival.p99, b?.lost, run.lost];
  });
  return '**Latency of 1:1 chat** (ms):\n\n' + markdownTable(['users', 'msg/s', 'ack p50 before', 'now', 'ack p99 before', 'now', 'arrival p50 before', 'now', 'arrival p99 before', 'now', 'lost before', 'now'], rows);
}

function fanOutSection(now: RunResults, before: RunResults | undefined): string {
  const rows = now.fanOut.groups.map((group) => {
    const b = before?.fanOut.groups.find((old) => old.members === group.members);
    return [group.members, b?.ack.p50, group.ack.p50, b?.lastArrival.p50, group.lastArrival.p50, b?.lastArrival.p95, group.lastArrival.p95, b?.missed, group.missed];
  });
  return '**Group fan-out**, all members online (ms):\n\n' + markdownTable(['members', 'ack p50 before', 'now', 'last member p50 before', 'now', 'last member p95 before', 'now', 'missed before', 'now'], rows);
}

function persistenceSection(now: RunResults, before: RunResults | undefined): string {
  const rows = now.persistence.map((run) => {
    const b = before?.persistence.find((old) => old.batchSize === run.batchSize);
    return [run.batchSize, b?.lambdaPerSecond, run.lambdaPerSecond, b?.rawDriverPerSecond, run.rawDriverPerSecond, b?.ratioToFloor, run.ratioToFloor];
  });
  return '**Persistence into Cassandra** (messages a second):\n\n' + markdownTable(['batch size', 'via the function before', 'now', 'raw driver before', 'now', 'ratio before', 'now'], rows);
}

function throughputSection(now: RunResults, before: RunResults | undefined): string {
  const held = (run: RunResults | undefined) => run?.throughput?.highestHeldPerSecond;
  return (
    `**Throughput**: the highest rate of 1:1 messages a second (fresh threads) with p99 send to arrival at most 1 s and none lost (target ${THROUGHPUT_TARGET_PER_SECOND}):\n\n` +
    markdownTable(['', 'before', 'now'], [['highest rate held, msg/s', held(before) ?? 'not measured', held(now) ?? 'not measured']])
  );
}

function coldStartSection(now: RunResults, before: RunResults | undefined): string {
  const rows = now.coldStart.bundles.map((bundle) => {
    const b = before?.coldStart.bundles.find((old) => old.function === bundle.function);
    return [
      bundle.function,
      b === undefined ? undefined : (b.bytes / 1024).toFixed(0),
      (bundle.bytes / 1024).toFixed(0),
      b?.loadMs,
      bundle.loadMs,
      bundle.sdkHelloWorldMs,
      bundle.ownShareMs,
      b?.ownShareCpuMs,
      bundle.ownShareCpuMs,
      bundle.sdkPackages?.map((pkg) => pkg.replace('@aws-sdk/', '')).join(', '),
    ];
  });
  return (
    `**Cold start**: module load in a fresh Node.js process (median), beside a hello-world that requires the same \`@aws-sdk\` packages and creates the same clients with the function's environment; our share is the difference, in wall-clock and in CPU time, which a busy machine disturbs far less (bare hello-world: ${now.coldStart.helloWorld.loadMs} ms):\n\n` +
    markdownTable(['function', 'KB before', 'now', 'load ms before', 'now', 'SDK hello-world ms now', 'our share ms now', 'our share CPU ms before', 'now', 'SDK packages'], rows)
  );
}

/** The run's memory sizing (docs/benchmark.md, "Memory sizing"), for runs that have it: this run only, as the rule reads it. */
function memorySizingSection(now: RunResults): string | undefined {
  const rows = now.awsCalls.operations.flatMap((operation) =>
    Object.entries(operation.lambdaByFunction)
      .filter(([, lambda]) => lambda.atMemory !== undefined)
      .map(([fn, lambda]) => [
        operation.operation,
        fn.replace(/[0-9A-F]{8}$/, ''),
        lambda.memoryMb,
        lambda.cpuMs,
        lambda.waitMs,
        ...MEMORY_SIZES_MB.map((memoryMb) => {
          const at = lambda.atMemory.find((size) => size.memoryMb === memoryMb);
          return at && `${at.ms} ms, $${at.dollarsPerMillion.toFixed(2)}`;
        }),
      ]),
  );
  if (rows.length === 0) return undefined;
  const sizes = MEMORY_SIZES_MB.map((memoryMb) => `${memoryMb} MB`);
  const paths = (now.awsCalls.userPaths ?? []).map((part) => [
    part.path,
    part.function,
    part.memoryMb,
    part.cpuMs,
    part.waitMs,
    ...MEMORY_SIZES_MB.map((memoryMb) => part.atMemory.find((size) => size.memoryMb === memoryMb)?.ms),
  ]);
  return (
    '**Memory sizing**: per invocation, mean estimated ms and $ per million invocations (duration and request) at each size, on the AWS estimate\'s model:\n\n' +
    markdownTable(['operation', 'function', 'MB now', 'CPU ms', 'AWS waits ms', ...sizes], rows) +
    '\n\nWhat each function adds to the paths a user waits on, estimated ms at each size:\n\n' +
    markdownTable(['path', 'function', 'MB now', 'CPU ms', 'AWS waits ms', ...sizes], paths)
  );
}

function targetsSection(checks: readonly TargetCheck[]): string {
  return '**Targets**:\n\n' + markdownTable(['', 'target', 'measured'], checks.map((check) => [check.pass === null ? 'not measured' : check.pass ? 'PASS' : 'FAIL', check.target, check.measured]));
}

/** The comparison as Markdown: `now` beside `before` (if any), with the command that produced it. */
export function formatComparison(command: string, now: RunResults, nowFile: string, before?: RunResults, beforeFile?: string): string {
  const header =
    `\`${command}\` on ${describeRun(now, nowFile)}` + (before && beforeFile ? `; before: ${describeRun(before, beforeFile)}.` : '; no run before it to compare with.');
  return [
    header,
    costSection(now, before),
    memorySizingSection(now),
    latencySection(now, before),
    throughputSection(now, before),
    fanOutSection(now, before),
    persistenceSection(now, before),
    coldStartSection(now, before),
    targetsSection(checkTargets(now)),
  ]
    .filter((section) => section !== undefined)
    .join('\n\n');
}

/**
 * The newest full run in `folder` written before `file` (results files start with their date):
 * not an abuse, throughput-only or smoke run.
 */
/** The scenarios `npm run bench -- <scenario>` runs alone, whose results are named `<date>-<commit>-<scenario>.json`. */
export const SCENARIOS_RUN_ALONE = ['abuse', 'throughput', 'persistence', 'fanout'] as const;
export type ScenarioRunAlone = (typeof SCENARIOS_RUN_ALONE)[number];

export async function previousRunFile(folder: string, file: string): Promise<string | undefined> {
  const name = path.basename(file);
  const partial = new RegExp(`-(${[...SCENARIOS_RUN_ALONE, 'smoke'].join('|')})`);
  const runs = (await readdir(folder))
    .filter((candidate) => candidate.endsWith('.json') && candidate < name && !partial.test(candidate))
    .sort();
  const newest = runs.at(-1);
  return newest === undefined ? undefined : path.join(folder, newest);
}
