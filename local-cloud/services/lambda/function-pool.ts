import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { ExecutionEnvironment, FunctionError, KilledByFault, type ExecutionOptions, type FunctionDefinition } from './execution-environment';

/**
 * The execution environments of one function: reused while warm, at most `maxConcurrency` at
 * once. An environment that died (of an error, a timeout or an injected fault) is dropped, so
 * the next invocation gets a fresh one: a cold start.
 */
export class FunctionPool {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  private readonly waiting: Array<() => void> = [];
  private stopped = false;
  /** Environments running an invocation now. */
  private busy = 0;
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

  private reportBusy(change: 1 | -1): void {
    this.busy += change;
    this.options.concurrency?.report(this.definition.functionName, this.busy);
  }

  async invoke(event: unknown): Promise<unknown> {
    const environment = await this.acquire();
    this.reportBusy(1);
    const injected = this.options.faults?.faultsFor(this.definition.logicalId, event);
    let killed: KilledByFault | undefined;
    try {
      return await environment.invoke(event, injected?.faults);
    } catch (error) {
      if (error instanceof KilledByFault) killed = error;
      throw error;
    } finally {
      injected?.settle(killed && { point: killed.point, requestId: killed.requestId });
      this.reportBusy(-1);
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
