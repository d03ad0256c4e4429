import awsLatency from './aws-latency.json';
import type { InvocationRecord, SdkCall } from '../local-cloud/services/lambda/metering';

/**
 * What an invocation measured here would take on AWS. Local durations are those of DynamoDB Local,
 * ElasticMQ and a loaded 2-core machine; the estimate keeps only what is the function's own (its
 * CPU time, on the vCPU share its memory buys) and replaces every wait for AWS with AWS's
 * published latency for that call, counting calls that overlapped in time once.
 * Figures, sources and assumptions: bench/aws-latency.json.
 */
export interface DurationEstimate {
  /** CPU time measured here, ms. */
  readonly cpuMs: number;
  /** That CPU time on the vCPU share of the function's memory, ms. */
  readonly cpuOnLambdaMs: number;
  /** Sequential AWS round trips: the longest chain of calls each of which began after the one before it ended. */
  readonly roundTrips: number;
  /** The same chain at AWS's latency for each call, ms (the dearest chain, which may be another one of the same length). */
  readonly waitMs: number;
  /** What AWS would bill: CPU plus waits, rounded up to a whole millisecond, at least one. */
  readonly billedMs: number;
}

type Timed = Pick<SdkCall, 'start' | 'end'>;
type LatencyTable = Record<string, { ms: number }>;

/** AWS's latency for one call: by `Service.Operation` if listed, else by service, else the default. */
export function callLatencyMs(call: Pick<SdkCall, 'service' | 'operation'>, table: LatencyTable = awsLatency.services): number {
  const entry = table[`${call.service}.${call.operation}`] ?? table[call.service] ?? table.default;
  if (entry === undefined) throw new Error(`no AWS latency for ${call.service}.${call.operation} and no default`);
  return entry.ms;
}

/**
 * The longest chain of calls, each of which began after the one before it in the chain had ended,
 * weighed by `weight`: calls that overlapped in time are one round trip, calls one after the
 * other are as many. A call that began after another ended is taken to have waited for it (on
 * one thread they could not have run at once), so this is the invocation's critical path.
 */
export function longestChain<T extends Timed>(calls: readonly T[], weight: (call: T) => number): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start || (a.end ?? a.start) - (b.end ?? b.start));
  const upTo: number[] = [];
  let longest = 0;
  sorted.forEach((call, index) => {
    let before = 0;
    for (let earlier = 0; earlier < index; earlier++) {
      if ((sorted[earlier].end ?? sorted[earlier].start) <= call.start) before = Math.max(before, upTo[earlier]);
    }
    upTo[index] = before + weight(call);
    longest = Math.max(longest, upTo[index]);
  });
  return longest;
}

/** Sequential round trips among `calls`: overlapping calls count once. */
export function roundTrips(calls: readonly Timed[]): number {
  return longestChain(calls, () => 1);
}

/** The vCPU share of a function with `memoryMb`: one full vCPU at 1,769 MB (more memory gives no single thread more). */
export function vcpuShare(memoryMb: number, fullVcpuAtMb: number = awsLatency.lambdaCpu.fullVcpuAtMb): number {
  return Math.min(1, memoryMb / fullVcpuAtMb);
}

/** The memory sizes the benchmark weighs each function at, MB: Lambda's minimum (128), doublings, and one full vCPU (1,769). */
export const MEMORY_SIZES_MB = [128, 256, 512, 1024, 1769] as const;

/** How long work of `cpuMs` measured here and `waitMs` of AWS waits would take at `memoryMb`, ms (not yet rounded as billed). */
export function durationAt(cpuMs: number, waitMs: number, memoryMb: number): number {
  return cpuMs / vcpuShare(memoryMb) + waitMs;
}

/**
 * The AWS estimate of one invocation, at the memory it ran with or at `memoryMb`. An invocation
 * without a CPU figure (its environment died or timed out before it could say) is estimated at
 * what it was billed here, as Lambda bills it.
 */
export function estimateInvocation(
  invocation: Pick<InvocationRecord, 'cpuMs' | 'memoryMb' | 'calls' | 'billedMs'>,
  table: LatencyTable = awsLatency.services,
  memoryMb: number = invocation.memoryMb,
): DurationEstimate {
  const trips = roundTrips(invocation.calls);
  const waitMs = longestChain(invocation.calls, (call) => callLatencyMs(call, table));
  if (invocation.cpuMs === undefined) return { cpuMs: NaN, cpuOnLambdaMs: NaN, roundTrips: trips, waitMs, billedMs: invocation.billedMs };
  const cpuOnLambdaMs = durationAt(invocation.cpuMs, 0, memoryMb);
  return { cpuMs: invocation.cpuMs, cpuOnLambdaMs, roundTrips: trips, waitMs, billedMs: Math.max(1, Math.ceil(cpuOnLambdaMs + waitMs)) };
}

/**
 * The part of an invocation up to the end of `call` (a frame posted to a user): the CPU the
 * invocation had used when the call began, and its AWS waits up to then (the longest chain of the
 * calls that ended before it began, then the call itself). Undefined without a CPU mark on the call.
 */
export function partUpTo(calls: readonly SdkCall[], call: SdkCall, table: LatencyTable = awsLatency.services): { cpuMs: number; waitMs: number } | undefined {
  if (call.cpuMs === undefined) return undefined;
  const before = calls.filter((earlier) => earlier !== call && earlier.end <= call.start);
  return { cpuMs: call.cpuMs, waitMs: longestChain(before, (earlier) => callLatencyMs(earlier, table)) + callLatencyMs(call, table) };
}

/** GB-seconds of `billedMs` at `memoryMb`, as Lambda prices duration. */
export function gbSeconds(billedMs: number, memoryMb: number): number {
  return (billedMs / 1000) * (memoryMb / 1024);
}
