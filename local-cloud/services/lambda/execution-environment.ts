import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
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

interface SerializedError {
  errorType: string;
  errorMessage: string;
}

/** What the runner measured of an invocation. */
interface RunnerMeter {
  durationMs: number;
  meter: { calls: SdkCall[]; logBytes: number };
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
}

const RUNNER = path.join(__dirname, 'runner.cjs');

/** One execution environment: a Node.js process that loaded the function once and is reused. */
class ExecutionEnvironment {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private pending?: { id: string; resolve: (value: unknown) => void; reject: (error: Error) => void };
  private exited = false;

  constructor(
    private readonly definition: FunctionDefinition,
    private readonly options: ExecutionOptions,
    log: WriteStream,
  ) {
    this.child = fork(RUNNER, [path.join(options.sdkRoot, 'node_modules')], {
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
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });

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
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      this.pending?.reject(
        new FunctionError(definition.functionName, 'Runtime.ExitError', `environment exited (${signal ?? `exit ${code}`})`),
      );
      this.pending = undefined;
    });
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
      failed: message.type === 'error',
      calls: message.meter.calls,
    };
    this.options.meter.recordInvocation(record);
  }

  get alive(): boolean {
    return !this.exited;
  }

  async invoke(event: unknown): Promise<unknown> {
    await this.ready;
    const id = randomUUID();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending = { id, resolve, reject };
    });
    const timer = setTimeout(() => {
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

/** The execution environments of one function: reused while warm, at most `maxConcurrency` at once. */
export class FunctionPool {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  private readonly waiting: Array<() => void> = [];
  private stopped = false;
  private readonly log: WriteStream;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly options: ExecutionOptions,
  ) {
    mkdirSync(options.logDir, { recursive: true });
    this.log = createWriteStream(path.join(options.logDir, `${definition.functionName}.log`), { flags: 'a' });
    // Every execution environment of the function pipes its output into this one stream.
    this.log.setMaxListeners(0);
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      // An invocation queued (or retried) while the local cloud stops must not start a new environment.
      if (this.stopped) throw new FunctionError(this.definition.functionName, 'Runtime.ExitError', 'the local cloud is stopping');
      const warm = this.idle.pop();
      if (warm?.alive) return warm;
      if (warm) {
        this.all.delete(warm);
        continue;
      }
      if (this.all.size < this.options.maxConcurrency) {
        const environment = new ExecutionEnvironment(this.definition, this.options, this.log);
        this.all.add(environment);
        return environment;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(environment: ExecutionEnvironment): void {
    if (environment.alive) this.idle.push(environment);
    else this.all.delete(environment);
    this.waiting.shift()?.();
  }

  async invoke(event: unknown): Promise<unknown> {
    const environment = await this.acquire();
    try {
      return await environment.invoke(event);
    } finally {
      this.release(environment);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const environment of this.all) environment.stop();
    for (const wake of this.waiting.splice(0)) wake();
    this.log.end();
  }
}

