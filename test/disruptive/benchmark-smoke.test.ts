import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../local-cloud/config';

jest.setTimeout(600_000);

/** The benchmark's smoke mode, run as `npm run bench -- --smoke` is: it starts its own local cloud. */
async function runSmokeBenchmark(out: string): Promise<{ code: number | null; output: string }> {
  const { BENCH_LOCAL_CLOUD_URL: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bench/main.ts', '--smoke', '--out', out], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

const finite = expect.any(Number);

it('measures every figure of the report and writes them as JSON with date, commit and machine', async () => {
  const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'bench-smoke-')), 'results.json');
  const { code, output } = await runSmokeBenchmark(out);
  if (code !== 0) throw new Error(`the benchmark exited with ${code}:\n${output.slice(-4000)}`);

  const results = JSON.parse(await readFile(out, 'utf8'));
  expect(results).toMatchObject({ mode: 'smoke', date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), commit: expect.any(String), machine: { cpus: finite, node: expect.any(String) } });

  const [latency] = results.latency;
  expect(latency.ack.count).toBeGreaterThan(0);
  expect(latency.arrival.count).toBe(latency.ack.count);
  expect(latency.floor.count).toBeGreaterThan(0);
  expect(latency.lost).toBe(0);

  const operations = Object.fromEntries(results.awsCalls.operations.map((operation: { operation: string }) => [operation.operation, operation]));
  // A smoke run leaves out the 1:1 message after a minute's pause (a full run waits the minute out).
  expect(Object.keys(operations).sort()).toEqual(['1:1 message', '50-member group message', 'connect', 'connect, 1-hour token', 'disconnect', 'disconnect, 1-hour token', 'receipt']);
  const direct = operations['1:1 message'];
  expect(Object.keys(direct.sdkCalls).some((fn) => fn.startsWith('ChatActions'))).toBe(true);
  const chatCalls = direct.sdkCalls[Object.keys(direct.sdkCalls).find((fn) => fn.startsWith('ChatActions'))!];
  expect(chatCalls).toMatchObject({ 'DynamoDB.TransactWriteItems': 1 });
  // History is the outbox relay's to queue, not the send's.
  expect(Object.keys(chatCalls).filter((call) => call.startsWith('SQS.'))).toEqual([]);
  expect(direct.sdkCalls[Object.keys(direct.sdkCalls).find((fn) => fn.startsWith('RelayFunction'))!]).toHaveProperty(['SQS.SendMessageBatch']);
  expect(direct.apiGatewayMessages).toBe(3);
  expect(direct.dynamodbWriteUnits).toBeGreaterThan(0);
  expect(direct.dollarsPerMillion.total).toBeGreaterThan(3);
  // Lambda duration two ways: as billed here, and the AWS estimate from each invocation's CPU time and round trips.
  expect(direct.lambdaGbSecondsAwsEstimate).toBeGreaterThan(0);
  expect(direct.dollarsPerMillionMeasured).toMatchObject({ lambdaDuration: finite, total: finite });
  const chatLambda = direct.lambdaByFunction[Object.keys(direct.lambdaByFunction).find((fn) => fn.startsWith('ChatActions'))!];
  expect(chatLambda.cpuMs).toBeGreaterThan(0);
  expect(chatLambda.roundTrips).toBeGreaterThanOrEqual(3);
  // Persistence's Keyspaces requests reach the meter through the driver's request tracker.
  expect(Object.keys(direct.sdkCalls[Object.keys(direct.sdkCalls).find((fn) => fn.startsWith('MessagePipelinePersist'))!])).toContain('Keyspaces.Execute');
  expect(operations['50-member group message'].apiGatewayMessages).toBe(51);
  expect(results.awsCalls.roundTripsBeforeAck.count).toBeGreaterThan(0);

  expect(results.fanOut.groups.map((group: { members: number }) => group.members)).toEqual([3, 6]);
  for (const group of results.fanOut.groups) expect(group.missed).toBe(0);
  expect(results.persistence[0]).toMatchObject({ batchSize: 10, lambdaPerSecond: finite, rawDriverPerSecond: finite });
  expect(results.persistence[0].lambdaPerSecond).toBeGreaterThan(0);
  // Every rate is run, or skipped after an overloaded step (a busy CI machine may overload the first).
  expect([...results.throughput.steps.map((step: { offeredPerSecond: number }) => step.offeredPerSecond), ...results.throughput.skippedRates]).toEqual([5, 10]);
  for (const step of results.throughput.steps) expect(step).toMatchObject({ lost: 0, errors: {}, arrival: { count: step.sent } });
  expect(results.throughput.highestHeldPerSecond).toEqual(expect.any(Number));
  expect(results.coldStart.bundles.map((bundle: { function: string }) => bundle.function)).toEqual(expect.arrayContaining([expect.stringMatching(/^ChatActions/), expect.stringMatching(/^MessagePipelinePersist/)]));
  const chatBundle = results.coldStart.bundles.find((bundle: { function: string }) => bundle.function.startsWith('ChatActions'));
  expect(chatBundle).toMatchObject({ sdkHelloWorldMs: finite, ownShareMs: finite, sdkPackages: expect.arrayContaining(['@aws-sdk/client-dynamodb']) });
  expect(results.targets.length).toBeGreaterThan(5);
  expect(output).toContain('Targets');
  // The comparison in Markdown, for the docs.
  expect(output).toContain('`npm run bench -- --smoke` on commit');
});
