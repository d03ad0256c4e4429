import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import * as path from 'node:path';
import type { FunctionOutput } from './function-output';
import type { ConcurrencyEvents } from './concurrency';
import type { InvocationRecord, Meter, SdkCall } from './metering';

/** A function of the template, ready to run from its bundled asset. */
export interface FunctionDefinition {
  readonly logicalId: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly assetDirectory: string;
  /** `file.export`, as in the template's `Handler`. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The template's `Environment.Variables`, resolved. */
  readonly environment: Readonly<Record<string, string>>;
}

/** An invocation that failed inside the function, as Lambda reports it. */
export class FunctionError extends Error {
  constructor(
    public readonly functionName: string,
    public readonly errorType: string,
    public readonly errorMessage: string,
  ) {
    super(`${functionName} failed: ${errorType}: ${errorMessage}`);
    this.name = 'FunctionError';
  }
}

/** How Go, in which Lambda's runtime interface is written, names the signals a runtime may die of. */
const SIGNAL_TEXT: Partial<Record<NodeJS.Signals, string>> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault' };

/** Lambda's `Runtime.ExitError` message, e.g. `RequestId: … Error: Runtime exited with error: signal: killed`. */
export function runtimeExitMessage(requestId: string, code: number | null, signal: NodeJS.Signals | null): string {
  const cause = signal === null ? `exit status ${code}` : `signal: ${SIGNAL_TEXT[signal] ?? signal}`;
  return `RequestId: ${requestId} Error: Runtime exited with error: ${cause}`;
}

/** Faults injected into one invocation (see `services/faults`): where its execution environment dies. */
export interface InjectedFaults {
  /** Fault points (`faultPoint(name)` in the function's code) at which the environment dies, if the invocation reaches one. */
  readonly killAt: readonly string[];
  /** The environment dies this long into the invocation, or just before it would answer if it ends sooner. */
  readonly killAfterMs?: number;
}

/** The faults of one invocation, told whether one of them fired once the invocation ends. */
export interface InjectedInvocation {
  readonly faults: InjectedFaults;
  settle(killed?: { readonly point: string; readonly requestId: string }): void;
}

/** Decides, invocation by invocation, which faults to inject into a function. */
export interface FaultInjector {
  faultsFor(logicalId: string, event: unknown): InjectedInvocation | undefined;
}

/** The environment died at an injected fault (a fault point, or `random`): a runtime killed outright, as Lambda reports it. */
export class KilledByFault extends FunctionError {
  constructor(
    functionName: string,
    public readonly point: string,
    public readonly requestId: string,
  ) {
    super(functionName, 'Runtime.ExitError', runtimeExitMessage(requestId, null, 'SIGKILL'));
  }
}

interface SerializedError {
  errorType: string;
  errorMessage: string;
}

/** What the runner measured of an invocation. */
interface RunnerMeter {
  durationMs: number;
  /** `cpuMs` is absent when the environment died or timed out before it could say. */
  meter: { calls: SdkCall[]; logBytes: number; cpuMs?: number };
}

type RunnerMessage =
  | { type: 'ready' }
  | { type: 'initError'; error: SerializedError }
  | ({ type: 'result'; id: string; result: unknown } & RunnerMeter)
  | ({ type: 'error'; id: string; error: SerializedError } & RunnerMeter);

export interface ExecutionOptions {
  /** Folder whose `node_modules` provides `@aws-sdk/*`, as the Lambda runtime does. */
  readonly sdkRoot: string;
  /** Each function's output goes to `<logDir>/<functionName>.log`. */
  readonly logDir: string;
  /** What the Lambda runtime adds to every function's environment (region, credentials, endpoints). */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  /** Execution environments per function at most; further invocations wait. */
  readonly maxConcurrency: number;
  readonly region: string;
  /** Where each invocation's duration, SDK calls and log volume are recorded. */
  readonly meter: Meter;
  /** Kills environments on purpose (`/dev/faults`); none by default. */
  readonly faults?: FaultInjector;
  /** Hears every line of the functions' output (besides the log files). */
  readonly output?: FunctionOutput;
  /** Hears each change in how many environments of a function are busy. */
  readonly concurrency?: ConcurrencyEvents;
}

const RUNNER = path.join(__dirname, 'runner.cjs');
/** The runner's fourth file descriptor: it writes there, synchronously, where it is about to die of an injected fault. */
const FAULT_CHANNEL_FD = 4;

/** One execution environment: a Node.js process that loaded the function once and is reused. */
export class ExecutionEnvironment {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private pending?: { id: string; started: number; resolve: (value: unknown) => void; reject: (error: Error) => void };
  private exited = false;
  /** Where the runner said it is dying, by request id. */
  private readonly faultsFired = new Map<string, string>();

  constructor(
    private readonly definition: FunctionDefinition,
    private readonly options: ExecutionOptions,
    log: WriteStream,
  ) {
    this.child = fork(RUNNER, [path.join(options.sdkRoot, 'node_modules'), String(FAULT_CHANNEL_FD)], {
      cwd: definition.assetDirectory,
      execArgv: [`--max-old-space-size=${definition.memoryMb}`],
      env: {
        PATH: process.env.PATH,
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        ...options.runtimeEnvironment,
        AWS_REGION: options.region,
        AWS_DEFAULT_REGION: options.region,
        AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.functionName}`,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: definition.assetDirectory,
        _HANDLER: definition.handler,
        ...definition.environment,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
    });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    const { output } = options;
    if (output !== undefined) {
      for (const stream of [this.child.stdout, this.child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', (line) => output.line(definition.functionName, line));
      }
    }
    createInterface({ input: this.child.stdio[FAULT_CHANNEL_FD] as Readable }).on('line', (line) => {
      try {
        const { id, point } = JSON.parse(line) as { id: string; point: string };
        this.faultsFired.set(id, point);
      } catch {
        // Not the runner's: a function has no business writing there, and cannot break the local cloud by it.
      }
    });

    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: RunnerMessage) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'initError') {
          reject(new FunctionError(definition.functionName, `Runtime.${message.error.errorType}`, message.error.errorMessage));
        }
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code, signal) =>
        reject(new FunctionError(definition.functionName, 'Runtime.ExitError', `environment exited during init (${signal ?? code})`)),
      );
    });
    this.ready.catch(() => undefined);

    this.child.on('message', (message: RunnerMessage) => {
      if ((message.type === 'result' || message.type === 'error') && this.pending?.id === message.id) {
        const { resolve, reject } = this.pending;
        this.pending = undefined;
        this.record(message);
        if (message.type === 'result') resolve(message.result);
        else reject(new FunctionError(definition.functionName, message.error.errorType, message.error.errorMessage));
      }
    });
    this.child.once('exit', () => (this.exited = true));
    // Once its output and fault channel are read to the end, so that a fault it reported is known.
    this.child.once('close', (code, signal) => this.diedDuringInvocation(code, signal));
  }

  /** The runtime exited with an invocation under way: the invocation fails as Lambda's `Runtime.ExitError`. */
  private diedDuringInvocation(code: number | null, signal: NodeJS.Signals | null): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    const durationMs = Date.now() - pending.started;
    // Lambda bills an invocation its runtime died in; what it called is lost with it.
    this.record({ type: 'error', durationMs, meter: { calls: [], logBytes: 0 } });
    const point = this.faultsFired.get(pending.id);
    const { functionName } = this.definition;
    pending.reject(
      point === undefined
        ? new FunctionError(functionName, 'Runtime.ExitError', runtimeExitMessage(pending.id, code, signal))
        : new KilledByFault(functionName, point, pending.id),
    );
  }

  private record(message: RunnerMeter & { type: 'result' | 'error' }): void {
    const record: InvocationRecord = {
      logicalId: this.definition.logicalId,
      functionName: this.definition.functionName,
      start: Date.now() - message.durationMs,
      durationMs: message.durationMs,
      billedMs: Math.max(1, Math.ceil(message.durationMs)),
      memoryMb: this.definition.memoryMb,
      logBytes: message.meter.logBytes,
      ...(message.meter.cpuMs === undefined ? {} : { cpuMs: message.meter.cpuMs }),
      failed: message.type === 'error',
      calls: message.meter.calls,
    };
    this.options.meter.recordInvocation(record);
  }

  get alive(): boolean {
    return !this.exited;
  }

  async invoke(event: unknown, faults?: InjectedFaults): Promise<unknown> {
    await this.ready;
    const id = randomUUID();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending = { id, started: Date.now(), resolve, reject };
    });
    const timer = setTimeout(() => {
      // Lambda bills (and counts as an error) an invocation that timed out.
      if (this.pending) this.record({ type: 'error', durationMs: timeoutMs, meter: { calls: [], logBytes: 0 } });
      this.pending?.reject(
        new FunctionError(this.definition.functionName, 'Sandbox.Timedout', `Task timed out after ${this.definition.timeoutSeconds}.00 seconds`),
      );
      this.pending = undefined;
      this.stop();
    }, timeoutMs);
    this.child.send({
      type: 'invoke',
      id,
      event,
      faults,
      context: {
        awsRequestId: id,
        functionName: this.definition.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: this.definition.functionArn,
        memoryLimitInMB: String(this.definition.memoryMb),
        logGroupName: `/aws/lambda/${this.definition.functionName}`,
        logStreamName: `local/${this.child.pid}`,
        deadlineMs: Date.now() + timeoutMs,
      },
    });
    try {
      return await result;
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
