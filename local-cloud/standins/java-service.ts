import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, createWriteStream, existsSync } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../config';

/** Raised when a stand-in cannot be fetched or started; its message says which and why. */
export class StandInError extends Error {
  constructor(
    public readonly standIn: string,
    reason: string,
  ) {
    super(`${standIn}: ${reason}`);
    this.name = 'StandInError';
  }
}

const POM_DIR = path.join(__dirname, 'maven');
const CLASSPATH_CACHE_DIR = path.join(PROJECT_ROOT, '.local-cloud', 'classpaths');

function run(command: string, args: string[], standIn: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      reject(new StandInError(standIn, `cannot run ${command}: ${(error as Error).message}`));
      return;
    }
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('error', (error) =>
      reject(new StandInError(standIn, `cannot run ${command} (is it installed and on PATH?): ${error.message}`)),
    );
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new StandInError(standIn, `${command} ${args.join(' ')} failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}

/**
 * The jars of a stand-in, resolved by Maven from `maven/<name>.pom.xml` into the local Maven
 * repository on first use. The resulting classpath is cached per pom content, so later starts
 * neither run Maven nor touch the network.
 */
export async function resolveClasspath(name: string): Promise<string[]> {
  const pomPath = path.join(POM_DIR, `${name}.pom.xml`);
  const pom = await readFile(pomPath);
  const cacheFile = path.join(CLASSPATH_CACHE_DIR, `${name}-${createHash('sha256').update(pom).digest('hex').slice(0, 16)}.txt`);
  if (existsSync(cacheFile)) {
    const jars = (await readFile(cacheFile, 'utf8')).split(path.delimiter).filter(Boolean);
    if (jars.length > 0 && jars.every((jar) => existsSync(jar))) return jars;
  }
  await mkdir(CLASSPATH_CACHE_DIR, { recursive: true });
  const outputFile = `${cacheFile}.partial`;
  await run(
    'mvn',
    ['-B', '-q', '-f', pomPath, 'dependency:build-classpath', '-DincludeScope=runtime', `-Dmdep.outputFile=${outputFile}`],
    name,
  );
  const classpath = await readFile(outputFile, 'utf8');
  await writeFile(cacheFile, classpath);
  return classpath.split(path.delimiter).filter(Boolean);
}

/** The absolute path of an executable on PATH, if there is one. */
async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/** util-linux's setpriv, by absolute path so that a test's trimmed PATH does not hide it. */
const SETPRIV = '/usr/bin/setpriv';

/**
 * The command line that runs `command` so that it is killed when the process that started it
 * dies, however it dies (a SIGKILL gives it no chance to stop its children): a JVM left behind
 * holds a gigabyte and its ports. Linux only (setpriv's parent-death signal); elsewhere the
 * command as it is.
 */
export function diesWithParent(command: readonly string[]): string[] {
  return existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', ...command] : [...command];
}

/**
 * The client compiler only: the stand-ins live for a test run or a benchmark, not for days, and
 * the server compiler spent more CPU compiling than the code it made saved in that time (on this
 * 2-core machine, DynamoDB Local's compiler threads took about as much CPU as its requests for the
 * first minutes of load).
 */
export const QUICK_JIT = '-XX:TieredStopAtLevel=1';

/**
 * For the small stand-ins (DynamoDB Local, ElasticMQ): the quick compiler, and the serial
 * collector, whose pauses on a heap of a few hundred megabytes are short and which runs no
 * collector threads beside the work (G1's own are chosen for multi-gigabyte heaps).
 */
export const LOCAL_JVM_FLAGS = [QUICK_JIT, '-XX:+UseSerialGC'];

/** A port that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether an HTTP request to the port gets any answer (an error status too): the server behind it handles requests. */
function httpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
    request.once('close', () => resolve(false));
  });
}

export interface JavaServiceOptions {
  readonly name: string;
  readonly classpath: string[];
  readonly mainClass: string;
  readonly jvmArgs: string[];
  readonly args: string[];
  /** The port the service listens on once it is ready. */
  readonly readyPort: number;
  /**
   * Ready only once an HTTP request to the port is answered, not when the port merely accepts: a
   * server may accept connections before its handlers run, and hang up on the first requests.
   */
  readonly readyWhenHttpAnswers?: boolean;
  readonly startTimeoutMs: number;
  /** Where the service's own output goes. */
  readonly logFile: string;
}

/** A stand-in running in its own JVM, which can be stopped and started again as it was. */
export class JavaService {
  private process?: ChildProcess;

  private constructor(private readonly options: JavaServiceOptions) {}

  get name(): string {
    return this.options.name;
  }

  /**
   * Starts the JVM and waits until its port answers. Fails with the reason (Java missing, early
   * exit with the tail of its log, or a timeout) rather than hanging.
   */
  static async start(options: JavaServiceOptions): Promise<JavaService> {
    const service = new JavaService(options);
    await service.launch();
    return service;
  }

  /** Whether its JVM runs (from its start until it is stopped or dies). */
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /**
   * Starts a stopped stand-in again with the same options: the same port and the same data
   * folder, so that its clients find it where it was, with what it had.
   */
  async restart(): Promise<void> {
    if (this.running) throw new StandInError(this.options.name, 'is running; stop it before starting it again');
    await this.launch();
  }

  private async launch(): Promise<void> {
    const options = this.options;
    if (await portAnswers(options.readyPort)) {
      throw new StandInError(options.name, `port ${options.readyPort} is already taken by another program`);
    }
    await mkdir(path.dirname(options.logFile), { recursive: true });
    const log = createWriteStream(options.logFile, { flags: 'a' });
    const java = await onPath('java');
    if (java === undefined) throw new StandInError(options.name, 'cannot run java (is a JDK 17 on PATH?): not found on PATH');
    const [command, ...args] = diesWithParent([java, ...options.jvmArgs, '-cp', options.classpath.join(path.delimiter), options.mainClass, ...options.args]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.process = child;

    const exited = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(new StandInError(options.name, `cannot run java (is a JDK 17 on PATH?): ${error.message}`)),
      );
      child.once('exit', async (code, signal) => {
        const tail = await this.logTail();
        reject(new StandInError(options.name, `exited during start (${signal ?? `exit ${code}`}); its log ${options.logFile} ends:\n${tail}`));
      });
    });
    const ready = (async () => {
      const deadline = Date.now() + options.startTimeoutMs;
      while (Date.now() < deadline) {
        const answers = await portAnswers(options.readyPort);
        if (answers && (!options.readyWhenHttpAnswers || (await httpAnswers(options.readyPort)))) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new StandInError(options.name, `did not answer on port ${options.readyPort} within ${options.startTimeoutMs / 1000} s; see ${options.logFile}`);
    })();
    try {
      await Promise.race([ready, exited]);
    } catch (error) {
      await this.stop();
      throw error;
    }
    exited.catch(() => undefined);
    child.removeAllListeners('exit');
  }

  private async logTail(): Promise<string> {
    try {
      return (await readFile(this.options.logFile, 'utf8')).split('\n').slice(-25).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops the JVM: SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.process;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
