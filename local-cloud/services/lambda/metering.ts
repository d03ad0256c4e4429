/** One AWS SDK call a function made, as the runner's metering middleware saw it. */
export interface SdkCall {
  readonly service: string;
  readonly operation: string;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
  /** CPU ms the invocation had used when the call began (SDK calls only): its CPU before the call. */
  readonly cpuMs?: number;
  /** The error's name, when the call failed. */
  readonly error?: string;
  /** The HTTP status the failed call was answered with, if it got an answer. */
  readonly status?: number;
  /** For a failed DynamoDB call: the tables its request named. */
  readonly tables?: readonly string[];
  /** DynamoDB's consumed capacity (asked for by the middleware). */
  readonly capacity?: {
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly capacityUnits: number;
    /** The tables the call touched, as DynamoDB names them in its consumed capacity. */
    readonly tables: readonly string[];
    /** The units each table consumed. */
    readonly byTable: ReadonlyArray<{ readonly table: string; readonly units: number }>;
  };
}

/** DynamoDB operations that read; every other one the functions call writes. */
const DYNAMODB_READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/** Whether a DynamoDB call read, so that its consumed capacity is read capacity (the metrics, the benchmark's costs). */
export function isDynamoDbRead(call: Pick<SdkCall, 'operation'>): boolean {
  return DYNAMODB_READ_OPERATIONS.has(call.operation);
}

/** What one invocation did, as Lambda would bill and log it. */
export interface InvocationRecord {
  readonly logicalId: string;
  readonly functionName: string;
  /** Epoch ms at which the handler was called. */
  readonly start: number;
  readonly durationMs: number;
  /** Lambda bills whole milliseconds, at least one. */
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly logBytes: number;
  /**
   * The CPU time (user and system) the function's process used while the handler ran, ms: the
   * benchmark's AWS estimate of its duration starts from it. Absent when the environment died.
   */
  readonly cpuMs?: number;
  readonly failed: boolean;
  readonly calls: readonly SdkCall[];
}

/** Most invocations kept between resets: enough for a benchmark scenario, bounded for a long run. */
const MAX_RECORDS = 200_000;

/**
 * What the local cloud's functions and pollers did since the last reset: every invocation with
 * its SDK calls, and requests the pollers (Lambda's, not the functions') made. Read through
 * `GET /dev/stats`, reset with `POST /dev/stats/reset`.
 */
export class Meter {
  private since = Date.now();
  private invocations: InvocationRecord[] = [];
  private dropped = 0;
  private readonly counters = new Map<string, number>();
  private readonly observers: Array<(record: InvocationRecord) => void> = [];

  /** Hears every invocation from now on, resets or not (CloudWatch's AWS/Lambda metrics). */
  observe(observer: (record: InvocationRecord) => void): void {
    this.observers.push(observer);
  }

  recordInvocation(record: InvocationRecord): void {
    for (const observer of this.observers) observer(record);
    if (this.invocations.length >= MAX_RECORDS) this.dropped += 1;
    else this.invocations.push(record);
  }

  /** Counts requests made outside functions, e.g. `SQS.ReceiveMessage` by the SQS poller. */
  count(name: string, amount = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + amount);
  }

  reset(): void {
    this.since = Date.now();
    this.invocations = [];
    this.dropped = 0;
    this.counters.clear();
  }

  snapshot() {
    return {
      since: this.since,
      until: Date.now(),
      droppedInvocations: this.dropped,
      pollerRequests: Object.fromEntries(this.counters),
      invocations: this.invocations,
    };
  }
}
