import { AsyncInvoker, DEFAULT_ASYNC_SETTINGS, type AsyncCounts, type AsyncInvocationSettings, type QueuedEvent } from './async-invocation';
import type { ExecutionOptions, FunctionDefinition } from './execution-environment';
import { FunctionPool } from './function-pool';
import type { ConcurrencyObserver } from './concurrency';
import type { LogLineListener } from './function-output';
import type { InvocationRecord } from './metering';
import { PollerEvents, type PollerObserver } from './poller-events';
import { permits, type InvokePermission, type Invoker } from './resource-policy';
import type { Log } from '../service';

export { FunctionError, type FunctionDefinition } from './execution-environment';

export interface LambdaServiceOptions extends ExecutionOptions {
  /** Each asynchronous retry waits this long instead of Lambda's 1 and 2 minutes. */
  readonly asyncRetryDelaySecondsOverride?: number;
  readonly log: Log;
}

/** Lambda would not run the function: it does not exist, or the caller may not invoke it. */
export class InvocationRefused extends Error {
  constructor(
    readonly code: 'ResourceNotFoundException' | 'AccessDeniedException',
    readonly status: 403 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'InvocationRefused';
  }
}

/** One function with its resource policy and asynchronous invocation settings. */
interface RegisteredFunction {
  readonly pool: FunctionPool;
  readonly permissions: InvokePermission[];
  asyncSettings: AsyncInvocationSettings;
}

/**
 * Lambda's Invoke: runs the template's functions from their bundled assets, each invocation in
 * an environment of its own function, synchronously (`RequestResponse`) or through the
 * asynchronous event queue (`Event`), letting in only the callers the function's resource
 * policy allows.
 */
export class LambdaService {
  private readonly functionsByRef = new Map<string, RegisteredFunction>();
  private readonly asyncInvoker: AsyncInvoker;
  /** What the event source mappings' pollers report as they receive and hand over records. */
  readonly pollerEvents = new PollerEvents();

  constructor(private readonly options: LambdaServiceOptions) {
    this.asyncInvoker = new AsyncInvoker({
      run: (functionArn, event) => this.registered(functionArn).pool.invoke(event),
      retryDelaySecondsOverride: options.asyncRetryDelaySecondsOverride,
      log: options.log,
    });
  }

  register(definition: FunctionDefinition): void {
    const registered: RegisteredFunction = { pool: new FunctionPool(definition, this.options), permissions: [], asyncSettings: DEFAULT_ASYNC_SETTINGS };
    for (const key of [definition.logicalId, definition.functionName, definition.functionArn]) this.functionsByRef.set(key, registered);
  }

  /** Adds a statement to a function's resource policy (an `AWS::Lambda::Permission`). */
  addPermission(functionRef: string, permission: InvokePermission): void {
    this.registered(functionRef).permissions.push(permission);
  }

  /** The logical id of the function with this logical id, name or ARN. */
  logicalIdOf(functionRef: string): string {
    return this.registered(functionRef).pool.definition.logicalId;
  }

  /** Hears every invocation as the meter records it. */
  onInvocation(observer: (record: InvocationRecord) => void): void {
    this.options.meter.observe(observer);
  }

  /** Hears what the pollers of event source mappings receive, delete and hand to functions. */
  onPollerEvent(observer: PollerObserver): void {
    this.pollerEvents.observe(observer);
  }

  /** The function name of the function with this logical id, name or ARN. */
  functionNameOf(functionRef: string): string {
    return this.registered(functionRef).pool.definition.functionName;
  }

  /** Hears each change in how many environments of a function run an invocation. */
  onConcurrency(observer: ConcurrencyObserver): void {
    if (this.options.concurrency === undefined) throw new Error('this Lambda service was started without a tap on its functions\' concurrency');
    this.options.concurrency.observe(observer);
  }

  /** Hears every line the functions write, as CloudWatch Logs receives it. */
  onLogLine(listener: LogLineListener): void {
    if (this.options.output === undefined) throw new Error('this Lambda service was started without a tap on its functions\' output');
    this.options.output.subscribe(listener);
  }

  /** Sets a function's event invoke config and dead-letter queue. */
  configureAsync(functionRef: string, settings: AsyncInvocationSettings): void {
    this.registered(functionRef).asyncSettings = settings;
  }

  /** Each function once, with what the runtime adds to its environment. */
  functions(): Array<FunctionDefinition & { readonly runtimeEnvironment: Readonly<Record<string, string>> }> {
    return [...new Set(this.functionsByRef.values())].map(({ pool }) => ({ ...pool.definition, runtimeEnvironment: this.options.runtimeEnvironment }));
  }

  /** Invokes a function by logical id, name or ARN and returns what its handler returned. */
  async invoke(functionRef: string, event: unknown, invoker: Invoker): Promise<unknown> {
    return this.authorized(functionRef, invoker).pool.invoke(event);
  }

  /**
   * Queues the event for the function and returns its request id, as Lambda answers 202; the
   * invocation, its retries and the failure's destination follow in the background.
   */
  async invokeAsync(functionRef: string, event: unknown, invoker: Invoker): Promise<QueuedEvent> {
    const { pool, asyncSettings } = this.authorized(functionRef, invoker);
    return this.asyncInvoker.enqueue({ functionName: pool.definition.functionName, functionArn: pool.definition.functionArn, settings: asyncSettings }, event);
  }

  /** What became of asynchronous invocations, by function name. */
  asyncCounts(): Record<string, AsyncCounts> {
    return this.asyncInvoker.snapshot();
  }

  private registered(functionRef: string): RegisteredFunction {
    const registered = this.functionsByRef.get(functionRef);
    if (registered === undefined) throw new InvocationRefused('ResourceNotFoundException', 404, `Function not found: ${functionRef}`);
    return registered;
  }

  private authorized(functionRef: string, invoker: Invoker): RegisteredFunction {
    const registered = this.registered(functionRef);
    if (!permits(registered.permissions, invoker)) {
      const caller = invoker.kind === 'service' ? `${invoker.principal} (source ${invoker.sourceArn})` : invoker.kind;
      this.options.log(`Lambda refused ${caller}: no permission of ${registered.pool.definition.functionName} allows it`);
      throw new InvocationRefused('AccessDeniedException', 403, `${caller} is not authorized to perform lambda:InvokeFunction on ${registered.pool.definition.functionArn}`);
    }
    return registered;
  }

  async stop(): Promise<void> {
    const stopping = this.asyncInvoker.stop();
    for (const { pool } of new Set(this.functionsByRef.values())) pool.stop();
    await stopping;
  }
}
