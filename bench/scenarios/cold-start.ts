import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BUNDLING } from '../../lib/constructs/messenger-function';
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
  /** The `@aws-sdk/*` packages the bundle requires (the runtime provides them). */
  readonly sdkPackages: readonly string[];
  /** Median load of a hello-world that requires the same packages and creates the same clients, with the function's environment, ms. */
  readonly sdkHelloWorldMs: number;
  /** Our code's share of the load: the bundle's load less that hello-world's, ms. */
  readonly ownShareMs: number;
  /** The same three in CPU time (median), which a busy machine disturbs far less than wall-clock. */
  readonly loadCpuMs: number;
  readonly sdkHelloWorldCpuMs: number;
  readonly ownShareCpuMs: number;
}

export interface ColdStartReport {
  readonly helloWorld: { bytes: number; loadMs: number };
  readonly bundles: BundleResult[];
}

/** The `@aws-sdk/*` packages a bundle requires: the SDK is left out of bundles, so each appears as a literal require. */
export function sdkPackagesOf(bundleSource: string): string[] {
  return [...new Set([...bundleSource.matchAll(/require\(["'](@aws-sdk\/[\w.-]+)["']\)/g)].map((match) => match[1]))].sort();
}

/**
 * A hello-world that loads `packages` and creates one client of each, as the functions do at module
 * scope (lambdas/shared/clients/): each client package's `*Client`, the document client over the
 * DynamoDB client, the default credential provider; any other package is only loaded.
 */
export function sdkHelloWorldSource(packages: readonly string[], clientNameOf: (pkg: string) => string | undefined): string {
  const lines: string[] = [];
  const made: string[] = [];
  packages.forEach((pkg, index) => {
    lines.push(`import * as sdk${index} from '${pkg}';`);
    if (pkg === '@aws-sdk/lib-dynamodb') {
      lines.push(`import { DynamoDBClient as DocumentBase${index} } from '@aws-sdk/client-dynamodb';`);
      made.push(`sdk${index}.DynamoDBDocumentClient.from(new DocumentBase${index}({}))`);
    } else if (pkg === '@aws-sdk/client-dynamodb' && packages.includes('@aws-sdk/lib-dynamodb')) {
      // The functions wrap their one DynamoDB client in the document client: it is made there.
    } else if (pkg === '@aws-sdk/credential-provider-node') {
      made.push(`sdk${index}.defaultProvider()`);
    } else {
      const client = clientNameOf(pkg);
      if (client !== undefined) made.push(`new sdk${index}.${client}({})`);
      else made.push(`sdk${index}`);
    }
  });
  lines.push(`const made = [${made.join(', ')}];`);
  lines.push("export const handler = async () => ({ statusCode: 200, body: String(made.length) });");
  return lines.join('\n') + '\n';
}

/** The client class a `@aws-sdk/client-*` package exports (e.g. `DynamoDBClient`), from the SDK the runtime provides. */
function clientClassOf(pkg: string): string | undefined {
  if (!pkg.startsWith('@aws-sdk/client-')) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- which class it exports is only known at run time
  const exported = require(require.resolve(pkg, { paths: [SDK_MODULES] })) as Record<string, unknown>;
  return Object.keys(exported).find((name) => name !== '__Client' && name.endsWith('Client') && typeof exported[name] === 'function');
}

/** One module load in a fresh process: wall-clock and CPU ms. */
async function loadOnce(bundle: string, environment: Record<string, string>): Promise<{ loadMs: number; cpuMs: number }> {
  const { stdout } = await run(process.execPath, [LOADER, SDK_MODULES, bundle], {
    cwd: path.dirname(bundle),
    env: { PATH: process.env.PATH, ...environment },
  });
  return JSON.parse(stdout) as { loadMs: number; cpuMs: number };
}

async function loadTime(bundle: string, environment: Record<string, string>, runs: number): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < runs; index++) times.push((await loadOnce(bundle, environment)).loadMs);
  return median(times);
}

const HELLO_WORLD = "export const handler = async () => ({ statusCode: 200, body: 'hello' });\n";

/** A handler bundled as the stack bundles its functions (`BUNDLING`: minified CJS with a map of positions, the SDK left to the runtime). */
async function helloWorldBundle(source: string): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'bench-hello-'));
  const entry = path.join(folder, 'hello.ts');
  await writeFile(entry, source);
  const outfile = path.join(folder, 'index.js');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    platform: 'node',
    target: BUNDLING.target,
    format: 'cjs',
    external: ['@aws-sdk/*'],
  });
  return outfile;
}

/**
 * Each function's deployed bundle: its size, and how long Node.js takes to load it in a fresh
 * process with the function's environment (what a cold start pays before the first invocation),
 * beside a bare hello-world bundle built the same way, and beside a hello-world that creates the
 * same SDK clients with the same environment: the difference is our code's share.
 */
export async function measureColdStart(cloud: CloudClient, runs: number): Promise<ColdStartReport> {
  const hello = await helloWorldBundle(HELLO_WORLD);
  const helloWorld = { bytes: (await stat(hello)).size, loadMs: await loadTime(hello, {}, runs) };
  const bundles: BundleResult[] = [];
  const sdkHelloWorlds = new Map<string, string>();
  for (const fn of await cloud.functions()) {
    const bundle = path.join(fn.assetDirectory, `${fn.handler.split('.')[0]}.js`);
    const environment = { ...fn.runtimeEnvironment, ...fn.environment, AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: fn.functionName };
    const sdkPackages = sdkPackagesOf(await readFile(bundle, 'utf8'));
    const key = sdkPackages.join(' ');
    if (!sdkHelloWorlds.has(key)) sdkHelloWorlds.set(key, await helloWorldBundle(sdkHelloWorldSource(sdkPackages, clientClassOf)));
    // One after the other, run by run, so that a busy moment of the machine weighs on both alike.
    const [bundleLoads, helloLoads]: Array<Array<{ loadMs: number; cpuMs: number }>> = [[], []];
    for (let run = 0; run < runs; run++) {
      bundleLoads.push(await loadOnce(bundle, environment));
      helloLoads.push(await loadOnce(sdkHelloWorlds.get(key)!, environment));
    }
    const medianOf = (loads: Array<{ loadMs: number; cpuMs: number }>, of: 'loadMs' | 'cpuMs') => median(loads.map((load) => load[of]));
    const [loadMs, sdkHelloWorldMs] = [medianOf(bundleLoads, 'loadMs'), medianOf(helloLoads, 'loadMs')];
    const [loadCpuMs, sdkHelloWorldCpuMs] = [medianOf(bundleLoads, 'cpuMs'), medianOf(helloLoads, 'cpuMs')];
    bundles.push({
      function: fn.logicalId,
      bytes: (await stat(bundle)).size,
      loadMs: Math.round(loadMs * 10) / 10,
      loadRatio: Math.round((loadMs / helloWorld.loadMs) * 10) / 10,
      sdkPackages,
      sdkHelloWorldMs: Math.round(sdkHelloWorldMs * 10) / 10,
      ownShareMs: Math.round((loadMs - sdkHelloWorldMs) * 10) / 10,
      loadCpuMs: Math.round(loadCpuMs * 10) / 10,
      sdkHelloWorldCpuMs: Math.round(sdkHelloWorldCpuMs * 10) / 10,
      ownShareCpuMs: Math.round((loadCpuMs - sdkHelloWorldCpuMs) * 10) / 10,
    });
  }
  return { helloWorld: { bytes: helloWorld.bytes, loadMs: Math.round(helloWorld.loadMs * 100) / 100 }, bundles };
}
