import { execFile } from 'node:child_process';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../../local-cloud/config';
import type { CloudClient } from '../cloud';
import { median } from '../stats';

const run = promisify(execFile);
const LOADER = path.join(__dirname, '..', 'load-bundle.cjs');
const SDK_MODULES = path.join(PROJECT_ROOT, 'node_modules');

export interface BundleResult {
  readonly function: string;
  /** Minified `index.js`, as deployed. */
  readonly bytes: number;
  /** Median module load time in a fresh Node.js process, ms. */
  readonly loadMs: number;
  /** Load time over hello-world's. */
  readonly loadRatio: number;
}

export interface ColdStartReport {
  readonly helloWorld: { bytes: number; loadMs: number };
  /** For context, not a target: hello-world that also creates a DynamoDB client, as every function here does. */
  readonly helloWorldWithSdk: { bytes: number; loadMs: number };
  readonly bundles: BundleResult[];
}

async function loadTime(bundle: string, environment: Record<string, string>, runs: number): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < runs; index++) {
    const { stdout } = await run(process.execPath, [LOADER, SDK_MODULES, bundle], {
      cwd: path.dirname(bundle),
      env: { PATH: process.env.PATH, ...environment },
    });
    times.push((JSON.parse(stdout) as { loadMs: number }).loadMs);
  }
  return median(times);
}

const HELLO_WORLD = "export const handler = async () => ({ statusCode: 200, body: 'hello' });\n";
const HELLO_WORLD_WITH_SDK =
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
  'const client = new DynamoDBClient({});\n' +
  "export const handler = async () => ({ statusCode: 200, body: String(typeof client.send) });\n";

/** A handler bundled as the stack bundles its functions (minified CJS for Node.js 22, the SDK left to the runtime). */
async function helloWorldBundle(source: string): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'bench-hello-'));
  const entry = path.join(folder, 'hello.ts');
  await writeFile(entry, source);
  const outfile = path.join(folder, 'index.js');
  await build({ entryPoints: [entry], outfile, bundle: true, minify: true, sourcemap: true, platform: 'node', target: 'node22', format: 'cjs', external: ['@aws-sdk/*'] });
  return outfile;
}

/**
 * Each function's deployed bundle: its size, and how long Node.js takes to load it in a fresh
 * process with the function's environment (what a cold start pays before the first invocation),
 * beside a hello-world bundle built the same way.
 */
export async function measureColdStart(cloud: CloudClient, runs: number): Promise<ColdStartReport> {
  const hello = await helloWorldBundle(HELLO_WORLD);
  const helloWorld = { bytes: (await stat(hello)).size, loadMs: await loadTime(hello, {}, runs) };
  const helloSdk = await helloWorldBundle(HELLO_WORLD_WITH_SDK);
  const helloWorldWithSdk = { bytes: (await stat(helloSdk)).size, loadMs: Math.round((await loadTime(helloSdk, { AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, runs)) * 10) / 10 };
  const bundles: BundleResult[] = [];
  for (const fn of await cloud.functions()) {
    const bundle = path.join(fn.assetDirectory, `${fn.handler.split('.')[0]}.js`);
    const environment = { ...fn.runtimeEnvironment, ...fn.environment, AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: fn.functionName };
    const loadMs = await loadTime(bundle, environment, runs);
    bundles.push({
      function: fn.logicalId,
      bytes: (await stat(bundle)).size,
      loadMs: Math.round(loadMs * 10) / 10,
      loadRatio: Math.round((loadMs / helloWorld.loadMs) * 10) / 10,
    });
  }
  return { helloWorld: { bytes: helloWorld.bytes, loadMs: Math.round(helloWorld.loadMs * 100) / 100 }, helloWorldWithSdk, bundles };
}
