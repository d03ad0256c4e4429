import type { ConnectionFaults, InjectableStatus } from '../apigateway/management-api';
import type { FaultInjector, InjectedInvocation } from '../lambda/execution-environment';
import type { StandInName } from '../stand-in-control';
import { RANDOM_POINT, type ConnectionRequest, type KillRequest } from './requests';

/** The moment of a random kill is picked in [0, this) ms of the invocation unless the fault says otherwise. */
export const DEFAULT_RANDOM_WINDOW_MS = 500;
/** Fired faults kept for `GET /dev/faults`, the oldest dropped first. */
const MAX_FIRED = 10_000;

/** A kill as armed: `function` is the logical id the request's name resolved to. */
export interface ArmedKill extends Omit<KillRequest, 'kind' | 'times' | 'probability'> {
  readonly id: string;
  readonly kind: 'kill';
  readonly probability: number;
  /** Kills left; undefined: until cleared. */
  timesLeft?: number;
}

export interface ArmedConnectionFault extends Omit<ConnectionRequest, 'times'> {
  readonly id: string;
  timesLeft?: number;
}

export type FiredFault =
  | { readonly kind: 'kill'; readonly faultId: string; readonly function: string; readonly point: string; readonly requestId: string; readonly at: string }
  | { readonly kind: 'connection'; readonly faultId: string; readonly connectionId: string; readonly userId?: string; readonly method: string; readonly status: InjectableStatus; readonly at: string }
  | { readonly kind: 'standIn'; readonly standIn: StandInName; readonly action: 'stop' | 'restart'; readonly at: string };

/** A small seeded generator (mulberry32): uniform in [0, 1), the same sequence for the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The user an invocation acts for: the authorizer context of an API Gateway event. */
function userOf(event: unknown): string | undefined {
  const userId = (event as { requestContext?: { authorizer?: { userId?: unknown } } } | null)?.requestContext?.authorizer?.userId;
  return typeof userId === 'string' ? userId : undefined;
}

interface KillState {
  readonly armed: ArmedKill;
  readonly random: () => number;
  /** Invocations under way that carry this kill: with `timesLeft`, no more carry it than it has kills left. */
  lent: number;
}

/**
 * The faults armed in the local cloud and those that fired. It decides which invocations carry
 * a kill (Lambda asks it for each) and which `@connections` calls get a failure (API Gateway asks
 * it for each), and records every kill, injected answer and stand-in outage.
 */
export class FaultRegistry implements FaultInjector, ConnectionFaults {
  private readonly kills = new Map<string, KillState>();
  private readonly connectionFaults = new Map<string, ArmedConnectionFault>();
  private fired: FiredFault[] = [];
  private nextId = 1;

  /** Arms a kill of `functionLogicalId`'s environments (the request's own `function` already resolved). */
  armKill(request: KillRequest, functionLogicalId: string): ArmedKill {
    const { kind: _kind, times, probability = 1, ...rest } = request;
    const limited = times ?? (request.point === RANDOM_POINT || request.probability !== undefined ? undefined : 1);
    const armed: ArmedKill = {
      ...rest,
      id: `fault-${this.nextId++}`,
      kind: 'kill',
      function: functionLogicalId,
      probability,
      ...(request.point === RANDOM_POINT ? { withinMs: request.withinMs ?? DEFAULT_RANDOM_WINDOW_MS } : {}),
      ...(limited === undefined ? {} : { timesLeft: limited }),
    };
    this.kills.set(armed.id, { armed, random: seededRandom(request.seed ?? Math.floor(Math.random() * 2 ** 32)), lent: 0 });
    return armed;
  }

  armConnectionFault(request: ConnectionRequest): ArmedConnectionFault {
    const { times, ...rest } = request;
    const armed: ArmedConnectionFault = { ...rest, id: `fault-${this.nextId++}`, ...(times === undefined ? {} : { timesLeft: times }) };
    this.connectionFaults.set(armed.id, armed);
    return armed;
  }

  /** Disarms one fault; false if no fault with this id is armed. */
  disarm(id: string): boolean {
    return this.kills.delete(id) || this.connectionFaults.delete(id);
  }

  /** Disarms every fault and forgets what fired. */
  clear(): void {
    this.kills.clear();
    this.connectionFaults.clear();
    this.fired = [];
  }

  recordStandIn(standIn: StandInName, action: 'stop' | 'restart'): void {
    this.record({ kind: 'standIn', standIn, action, at: new Date().toISOString() });
  }

  snapshot(): { armed: Array<ArmedKill | ArmedConnectionFault>; fired: FiredFault[] } {
    return { armed: [...[...this.kills.values()].map((state) => state.armed), ...this.connectionFaults.values()], fired: [...this.fired] };
  }

  faultsFor(logicalId: string, event: unknown): InjectedInvocation | undefined {
    const userId = userOf(event);
    const carried = [...this.kills.values()].filter(({ armed, lent, random }) => {
      if (armed.function !== logicalId || (armed.userId !== undefined && armed.userId !== userId)) return false;
      if (armed.timesLeft !== undefined && armed.timesLeft - lent <= 0) return false;
      return random() < armed.probability;
    });
    if (carried.length === 0) return undefined;
    for (const state of carried) state.lent += 1;
    const named = carried.filter((state) => state.armed.point !== RANDOM_POINT);
    const randomMoments = carried.filter((state) => state.armed.point === RANDOM_POINT).map((state) => Math.floor(state.random() * state.armed.withinMs!));
    return {
      faults: {
        killAt: [...new Set(named.map((state) => state.armed.point))],
        ...(randomMoments.length === 0 ? {} : { killAfterMs: Math.min(...randomMoments) }),
      },
      settle: (killed) => {
        for (const state of carried) state.lent -= 1;
        const culprit = killed && carried.find((state) => state.armed.point === killed.point);
        if (culprit === undefined) return;
        const { armed } = culprit;
        if (armed.timesLeft !== undefined && --armed.timesLeft === 0) this.kills.delete(armed.id);
        this.record({ kind: 'kill', faultId: armed.id, function: logicalId, point: killed!.point, requestId: killed!.requestId, at: new Date().toISOString() });
      },
    };
  }

  injectedAnswer({ connectionId, userId, method }: { connectionId: string; userId?: string; method: string }): InjectableStatus | undefined {
    for (const fault of this.connectionFaults.values()) {
      if (fault.method !== method) continue;
      if (fault.connectionId === undefined ? fault.userId !== userId : fault.connectionId !== connectionId) continue;
      if (fault.timesLeft !== undefined && --fault.timesLeft === 0) this.connectionFaults.delete(fault.id);
      this.record({ kind: 'connection', faultId: fault.id, connectionId, ...(userId === undefined ? {} : { userId }), method, status: fault.status, at: new Date().toISOString() });
      return fault.status;
    }
    return undefined;
  }

  private record(fired: FiredFault): void {
    this.fired.push(fired);
    if (this.fired.length > MAX_FIRED) this.fired.splice(0, this.fired.length - MAX_FIRED);
  }
}
