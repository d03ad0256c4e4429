import prices from './prices.json';
import { durationAt, estimateInvocation, gbSeconds, MEMORY_SIZES_MB, partUpTo } from './aws-estimate';
import type { InvocationRecord, SdkCall } from '../local-cloud/services/lambda/metering';
import type { MeterSnapshot } from './cloud';

/*
 * Memory sizing by measurement, on the AWS estimate's model (bench/aws-estimate.ts): an
 * invocation takes its CPU time measured here, stretched to the vCPU share its memory buys, plus
 * its AWS waits. The CPU part costs the same GB-seconds at any size below a full vCPU (half the
 * memory, twice the time); the waits are billed by the memory. So a smaller memory is cheaper
 * and slower: a cost/latency trade, which these figures weigh per function.
 */

/** What an invocation of a function would take and cost at one memory size. */
export interface SizeEstimate {
  readonly memoryMb: number;
  /** Mean estimated duration, ms, rounded up as Lambda bills. */
  readonly ms: number;
  /** Duration and request charges per million invocations, US dollars (arm64). */
  readonly dollarsPerMillion: number;
}

/** A function's invocations at every size of MEMORY_SIZES_MB, each estimated as Lambda would bill it. */
export function sizesOf(invocations: ReadonlyArray<Pick<InvocationRecord, 'cpuMs' | 'memoryMb' | 'calls' | 'billedMs'>>): SizeEstimate[] {
  const measured = invocations.filter((invocation) => invocation.cpuMs !== undefined);
  return MEMORY_SIZES_MB.map((memoryMb) => {
    const billed = measured.map((invocation) => estimateInvocation(invocation, undefined, memoryMb).billedMs);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
    const dollars = mean(billed.map((ms) => gbSeconds(ms, memoryMb))) * prices.lambda.arm64PerGbSecond * 1e6 + prices.lambda.perMillionRequests;
    return { memoryMb, ms: Math.round(mean(billed) * 10) / 10, dollarsPerMillion: Math.round(dollars * 1000) / 1000 };
  });
}

/** Where a user-facing path ends in an invocation: its first frame posted (a sent ack), its last one (the arrival), or its end. */
export type PathEnd = 'first post' | 'last post' | 'end';

/** The part of a user-facing path one function's invocations make, averaged, and what it would take at each size. */
export interface PathPart {
  readonly path: string;
  readonly function: string;
  readonly samples: number;
  /** The function's memory as deployed now. */
  readonly memoryMb: number;
  /** CPU ms measured here up to the path's end. */
  readonly cpuMs: number;
  /** AWS waits up to the path's end at AWS's latency, ms. */
  readonly waitMs: number;
  /** Estimated ms of the part at each size (not rounded: it is latency, not billing). */
  readonly atMemory: ReadonlyArray<{ readonly memoryMb: number; readonly ms: number }>;
}

const isPost = (call: SdkCall) => call.service === 'ApiGatewayManagementApi' && call.operation === 'PostToConnection';

/**
 * The part of `path` the function `functionName` (its construct id: the logical id less CDK's
 * 8-character hash) makes in `snapshot`: each invocation up to `end`, averaged. Invocations that
 * posted no frame do not count toward a path that ends with one. Undefined if none counted.
 */
export function pathPart(path: string, snapshot: MeterSnapshot, functionName: string, end: PathEnd): PathPart | undefined {
  const ofFunction = new RegExp(`^${functionName}[0-9A-F]{8}$`);
  const parts: Array<{ cpuMs: number; waitMs: number; memoryMb: number }> = [];
  for (const invocation of snapshot.invocations) {
    if (!ofFunction.test(invocation.logicalId) || invocation.cpuMs === undefined) continue;
    if (end === 'end') {
      parts.push({ cpuMs: invocation.cpuMs, waitMs: estimateInvocation(invocation).waitMs, memoryMb: invocation.memoryMb });
      continue;
    }
    const posts = invocation.calls.filter(isPost);
    const post = end === 'first post' ? posts[0] : posts[posts.length - 1];
    const part = post && partUpTo(invocation.calls, post);
    if (part) parts.push({ ...part, memoryMb: invocation.memoryMb });
  }
  if (parts.length === 0) return undefined;
  const mean = (of: (part: (typeof parts)[number]) => number) => parts.reduce((sum, part) => sum + of(part), 0) / parts.length;
  const [cpuMs, waitMs] = [mean((part) => part.cpuMs), mean((part) => part.waitMs)];
  return {
    path,
    function: functionName,
    samples: parts.length,
    memoryMb: parts[0].memoryMb,
    cpuMs: Math.round(cpuMs * 100) / 100,
    waitMs: Math.round(waitMs * 10) / 10,
    atMemory: MEMORY_SIZES_MB.map((memoryMb) => ({ memoryMb, ms: Math.round(durationAt(cpuMs, waitMs, memoryMb) * 10) / 10 })),
  };
}
