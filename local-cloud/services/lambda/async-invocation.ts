import { randomUUID } from 'node:crypto';
import type { Log } from '../service';
import { FunctionError } from './execution-environment';

/** Lambda's waits before the first and second retry of a failed asynchronous invocation. */
export const RETRY_DELAYS_SECONDS: readonly number[] = [60, 120];
export const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2;
/** Six hours: how long an event waits in the queue at most, unless the event invoke config says less. */
export const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21_600;

/** Where a record or a discarded event goes (an SQS queue here): the message body and its attributes. */
export type SendToQueue = (body: string, attributes?: Readonly<Record<string, string>>) => Promise<void>;

/** How Lambda handles one function's asynchronous invocations: its event invoke config and dead-letter queue. */
export interface AsyncInvocationSettings {
  /** 0 to 2. */
  readonly maximumRetryAttempts: number;
  /** 60 to 21,600. */
  readonly maximumEventAgeSeconds: number;
  readonly onSuccess?: SendToQueue;
  readonly onFailure?: SendToQueue;
  /** The function's `DeadLetterConfig`: gets the event itself, without the response. */
  readonly deadLetter?: SendToQueue;
}

export const DEFAULT_ASYNC_SETTINGS: AsyncInvocationSettings = {
  maximumRetryAttempts: DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  maximumEventAgeSeconds: DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
};

/** The function an event is queued for. */
export interface AsyncTarget {
  readonly functionName: string;
  readonly functionArn: string;
  readonly settings: AsyncInvocationSettings;
}

export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** An event Lambda took: its request id, and when it is done with it (succeeded, retained or dropped). */
export interface QueuedEvent {
  readonly requestId: string;
  readonly processed: Promise<void>;
}

/** What became of one function's asynchronous invocations, as `GET /dev/async` shows them. */
export interface AsyncCounts {
  queued: number;
  succeeded: number;
  retries: number;
  /** Events that failed for good and went to the on-failure destination and/or the dead-letter queue. */
  retained: number;
  /** Events that failed for good with nowhere to go: lost, as they are in AWS. */
  dropped: number;
  /** Records or events a destination or dead-letter queue would not take (CloudWatch's DestinationDeliveryFailures, DeadLetterErrors). */
  deliveryFailures: number;
}

/**
 * The invocation record Lambda sends to a destination ("Capturing records of Lambda asynchronous
 * invocations" in the Lambda developer guide). Node.js functions' errors are `Unhandled`.
 */
export function invocationRecord(options: {
  requestId: string;
  functionArn: string;
  condition: FailureCondition | 'Success';
  approximateInvokeCount: number;
  requestPayload: unknown;
  outcome: { result: unknown } | { error: FunctionError };
  now: Date;
}) {
  const failed = 'error' in options.outcome;
  return {
    version: '1.0',
    timestamp: options.now.toISOString(),
    requestContext: {
      requestId: options.requestId,
      functionArn: `${options.functionArn}:$LATEST`,
      condition: options.condition,
      approximateInvokeCount: options.approximateInvokeCount,
    },
    requestPayload: options.requestPayload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(failed ? { functionError: 'Unhandled' } : {}) },
    responsePayload:
      'error' in options.outcome ? { errorType: options.outcome.error.errorType, errorMessage: options.outcome.error.errorMessage } : options.outcome.result,
  };
}

export interface AsyncInvokerOptions {
  /** Runs the function once, as a synchronous invocation would. */
  readonly run: (functionArn: string, event: unknown) => Promise<unknown>;
  /** Each retry waits this long instead of Lambda's 1 and 2 minutes (tests shorten them). */
  readonly retryDelaySecondsOverride?: number;
  readonly log: Log;
}

/**
 * Lambda's asynchronous invocation (the `Event` invocation type, as SNS and EventBridge use it):
 * the event is queued and the caller answered at once; a function error or timeout is retried
 * after 1 and then 2 minutes, up to the event invoke config's retry attempts and event age; an
 * event that fails for good goes to the on-failure destination and the dead-letter queue,
 * or, with neither, is dropped, counted and logged.
 */
export class AsyncInvoker {
  private readonly counts = new Map<string, AsyncCounts>();
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: AsyncInvokerOptions) {}

  /** Queues the event and returns its request id; what follows happens in the background. */
  enqueue(target: AsyncTarget, event: unknown): QueuedEvent {
    const requestId = randomUUID();
    this.countsOf(target).queued += 1;
    const processing = this.process(target, event, requestId, Date.now()).catch((error: Error) =>
      this.options.log(`async invocation ${requestId} of ${target.functionName} broke: ${error.message}`),
    );
    this.running.add(processing);
    void processing.finally(() => this.running.delete(processing));
    return { requestId, processed: processing };
  }

  private async process(target: AsyncTarget, event: unknown, requestId: string, queuedAt: number): Promise<void> {
    const { settings } = target;
    for (let attempt = 1; ; attempt++) {
      let error: FunctionError;
      try {
        const result = await this.options.run(target.functionArn, event);
        this.countsOf(target).succeeded += 1;
        const record = { requestId, functionArn: target.functionArn, condition: 'Success' as const, approximateInvokeCount: attempt };
        if (settings.onSuccess) await this.deliver(target, settings.onSuccess, JSON.stringify(invocationRecord({ ...record, requestPayload: event, outcome: { result }, now: new Date() })));
        return;
      } catch (caught) {
        if (!(caught instanceof FunctionError)) throw caught;
        error = caught;
      }
      if (attempt > settings.maximumRetryAttempts) return this.fail(target, event, requestId, 'RetriesExhausted', attempt, error);
      const delaySeconds = this.options.retryDelaySecondsOverride ?? RETRY_DELAYS_SECONDS[attempt - 1];
      this.options.log(`async invocation ${requestId} of ${target.functionName} failed (attempt ${attempt}): ${error.message}; retrying in ${delaySeconds} s`);
      if (!(await this.wait(delaySeconds * 1000))) return this.options.log(`async invocation ${requestId} of ${target.functionName} abandoned: the local cloud stopped`);
      if (Date.now() - queuedAt >= settings.maximumEventAgeSeconds * 1000) return this.fail(target, event, requestId, 'EventAgeExceeded', attempt, error);
      this.countsOf(target).retries += 1;
    }
  }

  private async fail(target: AsyncTarget, event: unknown, requestId: string, condition: FailureCondition, attempts: number, error: FunctionError): Promise<void> {
    const { onFailure, deadLetter } = target.settings;
    const counts = this.countsOf(target);
    if (onFailure === undefined && deadLetter === undefined) {
      counts.dropped += 1;
      this.options.log(`async invocation ${requestId} of ${target.functionName} dropped (${condition} after ${attempts} attempts): no on-failure destination or dead-letter queue`);
      return;
    }
    counts.retained += 1;
    const record = invocationRecord({ requestId, functionArn: target.functionArn, condition, approximateInvokeCount: attempts, requestPayload: event, outcome: { error }, now: new Date() });
    if (onFailure) await this.deliver(target, onFailure, JSON.stringify(record));
    // Lambda's dead-letter message is the event, with the request id and error as attributes.
    if (deadLetter) await this.deliver(target, deadLetter, JSON.stringify(event), { RequestID: requestId, ErrorCode: '200', ErrorMessage: error.errorMessage.slice(0, 1024) });
  }

  private async deliver(target: AsyncTarget, send: SendToQueue, body: string, attributes?: Record<string, string>): Promise<void> {
    try {
      await send(body, attributes);
    } catch (error) {
      this.countsOf(target).deliveryFailures += 1;
      this.options.log(`async invocation record of ${target.functionName} could not be delivered: ${(error as Error).message}`);
    }
  }

  /** Resolves true after `ms`, or false at once when the invoker stops. */
  private wait(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve(true);
      }, ms);
      this.waits.set(timer, () => resolve(false));
    });
  }

  private countsOf(target: AsyncTarget): AsyncCounts {
    let counts = this.counts.get(target.functionName);
    if (counts === undefined) {
      counts = { queued: 0, succeeded: 0, retries: 0, retained: 0, dropped: 0, deliveryFailures: 0 };
      this.counts.set(target.functionName, counts);
    }
    return counts;
  }

  /** Counts by function name. */
  snapshot(): Record<string, AsyncCounts> {
    return Object.fromEntries([...this.counts].map(([name, counts]) => [name, { ...counts }]));
  }

  /** Abandons the waits for retries and lets the invocations under way finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [timer, abandon] of this.waits) {
      clearTimeout(timer);
      abandon();
    }
    this.waits.clear();
    await Promise.allSettled([...this.running]);
  }
}
