import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { get } from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from './config';
import { diesWithParent } from './standins/java-service';

/**
 * tsx as a loader in this very process, not tsx's CLI, which runs the script in a child process of
 * its own: that child would outlive a CLI killed outright.
 */
const TSX_LOADER = path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
/** A first run fetches the stand-ins with Maven; later runs start in well under a minute. */
const START_TIMEOUT_MS = 300_000;

export interface LocalCloudProcess {
  readonly baseUrl: string;
  readonly webSocketUrl: string;
  readonly dataDir: string;
  readonly outputFile: string;
  stop(): Promise<void>;
}

/**
 * The status of a GET, on a socket of its own: Jest's global setup shares its process with the
 * tests when they run in band, and a pooled keep-alive socket left behind here could be reused
 * by a test just as the server closes it.
 */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs the README's run command (`npm start`'s script) with the given environment. */
export function runCommand(env: Record<string, string>): ChildProcess {
  // Dies with the test run or benchmark that started it, even one killed outright.
  const [command, ...args] = diesWithParent([process.execPath, '--import', pathToFileURL(TSX_LOADER).href, path.join(PROJECT_ROOT, 'local-cloud', 'main.ts')]);
  return spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Starts the local cloud as its own process (for the tests and the benchmark), exactly as the README's run command does (by default
 * on a free port with a fresh data folder), and waits until `/dev/health` answers 200. Fails loudly with the
 * process's output if it exits or does not become ready.
 */
export async function startLocalCloud(settings: Record<string, string> = {}): Promise<LocalCloudProcess> {
  const port = settings.PORT ?? String(await freePort());
  const dataDir = settings.LOCAL_DATA_DIR ?? (await mkdtemp(path.join(os.tmpdir(), 'messenger-local-cloud-')));
  const outputFile = path.join(dataDir, 'run-command.log');
  const output = createWriteStream(outputFile, { flags: 'a' });
  const child = runCommand({ ...settings, PORT: port, LOCAL_DATA_DIR: dataDir });
  child.stdout?.pipe(output);
  child.stderr?.pipe(output);
  const baseUrl = `http://127.0.0.1:${port}`;

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    output.end();
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline && exitCode === undefined) {
    try {
      if ((await statusOf(`${baseUrl}/dev/health`)) === 200) return { baseUrl, webSocketUrl: `ws://127.0.0.1:${port}/`, dataDir, outputFile, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await stop();
  const log = await readFile(outputFile, 'utf8').catch(() => '');
  throw new Error(
    `the local cloud ${exitCode === undefined ? `was not ready within ${START_TIMEOUT_MS / 1000} s` : `exited with ${exitCode}`}:\n${log.slice(-6000)}`,
  );
}
