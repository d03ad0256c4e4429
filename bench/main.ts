/**
 * `npm run bench`: what a message costs and how fast it arrives, measured against the local
 * cloud. `npm run bench -- --smoke` runs every measurement briefly, to prove the benchmark works
 * (CI runs it). `npm run bench -- abuse` runs the abuse table alone: each action's worst-case frame
 * and what one user costs an hour at their limits (with `--smoke`, in small groups). Prints a report and writes the same figures as JSON (date, commit, machine) to
 * `bench/results/`, or where `--out` says. `BENCH_LOCAL_CLOUD_URL` (e.g. http://127.0.0.1:8080) uses an already running local cloud
 * (`npm start`) instead of starting one. `npm run bench -- throughput` runs the throughput steps alone,
 * `npm run bench -- persistence` the persistence function beside the raw driver alone (about a minute), `npm run bench -- fanout` the group fan-out alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../local-cloud/config';
import { startLocalCloud, type LocalCloudProcess } from '../local-cloud/process';
import { formatComparison, previousRunFile, SCENARIOS_RUN_ALONE, type RunResults, type ScenarioRunAlone } from './compare';
import { CloudClient } from './cloud';
import { checkTargets, formatFanOut, formatPersistence, formatReport, formatThroughput, type TargetCheck } from './report';
import { formatAbuse, measureAbuse, type AbuseReport } from './scenarios/abuse';
import { measureAwsCalls, type AwsCallsReport } from './scenarios/aws-calls';
import { measureColdStart, type ColdStartReport } from './scenarios/cold-start';
import { measureFanOut, type FanOutReport } from './scenarios/fanout';
import { measureLatency, type LatencyResult } from './scenarios/latency';
import { measurePersistence, type PersistenceResult } from './scenarios/persistence';
import { measureThroughput, type ThroughputReport } from './scenarios/throughput';

const SETTINGS = {
  full: {
    latency: [
      { users: 100, ratePerSender: 0.2, durationSeconds: 60 },
      { users: 1000, ratePerSender: 0.02, durationSeconds: 60 },
    ],
    fanOutSizes: [10, 100, 1024],
    fanOutMessages: 5,
    awsCallSamples: 20,
    awsCallPairs: 10,
    /** Also a 1:1 message after a minute's pause in its conversation (it waits the minute out). */
    awsCallsAfterAPause: true,
    persistence: { batchSizes: [10, 100], messages: 2000, concurrency: 4 },
    throughput: { users: 100, ratesPerSecond: [10, 20, 30, 40, 50, 60, 80], stepSeconds: 25 },
    coldStartRuns: 5,
    abuseGroupSize: 1024,
  },
  smoke: {
    latency: [{ users: 10, ratePerSender: 1, durationSeconds: 3 }],
    fanOutSizes: [3, 6],
    fanOutMessages: 2,
    awsCallSamples: 3,
    awsCallPairs: 2,
    awsCallsAfterAPause: false,
    persistence: { batchSizes: [10], messages: 40, concurrency: 2 },
    throughput: { users: 10, ratesPerSecond: [5, 10], stepSeconds: 3 },
    coldStartRuns: 1,
    abuseGroupSize: 8,
  },
};

export interface BenchmarkResults {
  readonly mode: 'full' | 'smoke';
  readonly date: string;
  readonly commit: string;
  readonly machine: { cpus: number; cpuModel: string; memoryGb: number; platform: string; node: string };
  readonly settings: (typeof SETTINGS)['full'];
  readonly latency: LatencyResult[];
  readonly awsCalls: AwsCallsReport;
  readonly fanOut: FanOutReport;
  readonly persistence: PersistenceResult[];
  readonly throughput: ThroughputReport;
  readonly coldStart: ColdStartReport;
  readonly targets?: TargetCheck[];
}

function commitOf(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', memoryGb: Math.round(os.totalmem() / 1024 ** 3), platform: `${os.platform()} ${os.arch()}`, node: process.versions.node };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      'group-size': { type: 'string' },
      // A full run ends with its tables in Markdown (for docs/benchmark.md and the README) beside the
      // newest full run before it in bench/results/, or beside this file.
      compare: { type: 'string' },
      // Prints that comparison for a run already written (with --compare, beside that one), running nothing.
      report: { type: 'string' },
    },
    allowPositionals: true,
  });
  const only = positionals[0] as ScenarioRunAlone | undefined;
  if (only !== undefined && !SCENARIOS_RUN_ALONE.includes(only)) {
    throw new Error(`unknown scenario "${only}": those that run alone are ${SCENARIOS_RUN_ALONE.map((name) => `"${name}"`).join(', ')}`);
  }
  const mode = values.smoke ? 'smoke' : 'full';
  const settings = SETTINGS[mode];
  const log = (message: string) => console.error(`[bench] ${message}`);
  // What is measured is the tree as it was when the run began, before the local cloud synthesizes it.
  const commit = commitOf();
  if (values.report !== undefined) {
    console.log(await comparison(values.report, values.compare));
    return;
  }

  let started: LocalCloudProcess | undefined;
  let cloud: CloudClient;
  if (process.env.BENCH_LOCAL_CLOUD_URL) {
    const baseUrl = process.env.BENCH_LOCAL_CLOUD_URL.replace(/\/$/, '');
    cloud = new CloudClient(baseUrl, baseUrl.replace(/^http/, 'ws') + '/');
  } else {
    log('starting the local cloud');
    started = await startLocalCloud();
    cloud = new CloudClient(started.baseUrl, started.webSocketUrl);
  }
  const runId = Date.now().toString(36);
  try {
    const date = new Date().toISOString();
    /** Writes a run's JSON to `--out`, or to bench/results/<date>-<commit><kind>[-smoke].json; returns the path. */
    const writeResults = async (kind: string, body: object): Promise<string> => {
      const out = values.out ?? path.join(PROJECT_ROOT, 'bench', 'results', `${date.slice(0, 19).replace(/:/g, '')}-${commit}${kind}${mode === 'smoke' ? '-smoke' : ''}.json`);
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, JSON.stringify(body, null, 2) + '\n');
      log(`results written to ${path.relative(process.cwd(), out)}`);
      return out;
    };
    const measurePersistenceBatches = () => {
      log(`persistence: batch sizes ${settings.persistence.batchSizes.join(', ')}`);
      const { batchSizes, messages, concurrency } = settings.persistence;
      return measurePersistence(cloud, batchSizes, messages, concurrency, runId);
    };
    const measureThroughputSteps = () => {
      log(`throughput: ${settings.throughput.users} users, ${settings.throughput.ratesPerSecond.join(', ')} msg/s, ${settings.throughput.stepSeconds} s each`);
      return measureThroughput(cloud, settings.throughput, runId);
    };
    if (only === 'abuse') {
      const groupSize = values['group-size'] === undefined ? settings.abuseGroupSize : Number(values['group-size']);
      if (!Number.isInteger(groupSize) || groupSize < 4 || groupSize > 1024) throw new Error('--group-size must be an integer of 4-1024');
      log(`abuse table: worst-case frames in groups of ${groupSize}`);
      const abuse: AbuseReport = await measureAbuse(cloud, groupSize, runId);
      console.log(formatAbuse(abuse));
      await writeResults('-abuse', { mode, date, commit, machine: machine(), abuse });
      return;
    }
    if (only === 'throughput') {
      const throughput = await measureThroughputSteps();
      console.log(formatThroughput(throughput));
      await writeResults('-throughput', { mode, date, commit, machine: machine(), throughput });
      return;
    }
    if (only === 'persistence') {
      const persistence = await measurePersistenceBatches();
      console.log(formatPersistence(persistence));
      await writeResults('-persistence', { mode, date, commit, machine: machine(), persistence });
      return;
    }
    const measureFanOutGroups = () => {
      log(`group fan-out: ${settings.fanOutSizes.join(', ')} members`);
      return measureFanOut(cloud, settings.fanOutSizes, settings.fanOutMessages, runId);
    };
    if (only === 'fanout') {
      const fanOut = await measureFanOutGroups();
      console.log(formatFanOut(fanOut));
      await writeResults('-fanout', { mode, date, commit, machine: machine(), fanOut });
      return;
    }
    log('cold start: bundles and module load times');
    const coldStart = await measureColdStart(cloud, settings.coldStartRuns);
    log('AWS calls and cost per operation');
    const awsCalls = await measureAwsCalls(cloud, settings.awsCallSamples, settings.awsCallPairs, runId, { afterAPause: settings.awsCallsAfterAPause });
    const latency: LatencyResult[] = [];
    for (const run of settings.latency) {
      log(`latency: ${run.users} users, ${run.ratePerSender} msg/s each sender, ${run.durationSeconds} s`);
      latency.push(await measureLatency(cloud, run, runId));
    }
    const fanOut = await measureFanOutGroups();
    const persistence = await measurePersistenceBatches();
    const throughput = await measureThroughputSteps();

    const results: BenchmarkResults = { mode, date, commit, machine: machine(), settings, latency, awsCalls, fanOut, persistence, throughput, coldStart };
    const targets = checkTargets(results);
    console.log(formatReport(results, targets));
    const out = await writeResults('', { ...results, targets });
    const before = values.compare ?? (mode === 'full' ? await previousRunFile(path.dirname(out), out) : undefined);
    console.log(`\nFor docs/benchmark.md and the README (Markdown):\n\n${await comparison(out, before)}`);
  } finally {
    await started?.stop();
  }
}

/** The run in `file` beside the one in `beforeFile`, in Markdown, with the command that produced it. */
async function comparison(file: string, beforeFile?: string): Promise<string> {
  const read = async (name: string) => JSON.parse(await readFile(name, 'utf8')) as RunResults;
  const now = await read(file);
  const shown = (name: string) => path.relative(PROJECT_ROOT, path.resolve(name));
  const command = now.mode === 'smoke' ? 'npm run bench -- --smoke' : 'npm run bench';
  return formatComparison(command, now, shown(file), beforeFile === undefined ? undefined : await read(beforeFile), beforeFile === undefined ? undefined : shown(beforeFile));
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
