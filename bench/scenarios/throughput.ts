import { closeUsers, connectUsers, type BenchUser } from '../bench-user';
import type { CloudClient } from '../cloud';
import { distribution, type Distribution } from '../stats';
import { settle } from './aws-calls';
import { chatProbe, drive, errorsOf, lostOf, type Outcome } from './latency';

export interface ThroughputSettings {
  /** Users connected at each step, fresh ones (so fresh threads) every step; each sends to its partner in the other half. */
  readonly users: number;
  /** Messages per second offered at each step, all senders together, in rising order. */
  readonly ratesPerSecond: readonly number[];
  readonly stepSeconds: number;
}

export interface ThroughputStep {
  /** Messages per second the step meant to offer. */
  readonly offeredPerSecond: number;
  /** Messages per second it did send (the harness's own timers on a busy machine may fall short). */
  readonly sentPerSecond: number;
  /** Messages that arrived, over the time from the step's first send to its last arrival. */
  readonly achievedPerSecond: number;
  readonly sent: number;
  /** send -> `sent` ack on the sender's socket, ms. */
  readonly ack: Distribution;
  /** send -> the message on the recipient's socket, ms. */
  readonly arrival: Distribution;
  /** Sends that got no ack or never arrived within the wait. */
  readonly lost: number;
  readonly errors: Record<string, number>;
  /** p99 arrival within the limit, nothing lost, no error. */
  readonly held: boolean;
}

export interface ThroughputReport {
  readonly users: number;
  readonly stepSeconds: number;
  /** The arrival p99 a step must stay within, ms. */
  readonly arrivalP99LimitMs: number;
  readonly steps: ThroughputStep[];
  /** The highest offered rate at which the step held (0 if none did). */
  readonly highestHeldPerSecond: number;
  /** Rates not run because a lower step was overloaded (its backlog would only be measured again). */
  readonly skippedRates: number[];
}

export const ARRIVAL_P99_LIMIT_MS = 1000;

/**
 * A step this far over the limit, or one that lost messages, is overloaded: the cloud fell behind,
 * and a higher rate would measure the same backlog for longer, so the steps stop there.
 */
const OVERLOADED_P99_MS = 5 * ARRIVAL_P99_LIMIT_MS;

/** How long a send waits for its ack after the step ends, and for its arrival after the ack. */
const WAIT_AFTER_STEP_MS = 30_000;

function stepOf(offeredPerSecond: number, stepSeconds: number, outcomes: readonly Outcome[]): ThroughputStep {
  const arrivedAt = outcomes.flatMap((outcome) => (outcome.arrival === undefined ? [] : [outcome.sentAt + outcome.arrival]));
  const firstSentAt = Math.min(...outcomes.map((outcome) => outcome.sentAt));
  const span = (Math.max(...arrivedAt) - firstSentAt) / 1000;
  const ack = distribution(outcomes.flatMap((outcome) => (outcome.ack === undefined ? [] : [outcome.ack])));
  const arrival = distribution(outcomes.flatMap((outcome) => (outcome.arrival === undefined ? [] : [outcome.arrival])));
  const lost = lostOf(outcomes);
  const errors = errorsOf(outcomes);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    offeredPerSecond,
    sentPerSecond: round(outcomes.length / stepSeconds),
    achievedPerSecond: arrivedAt.length === 0 ? 0 : round(arrivedAt.length / span),
    sent: outcomes.length,
    ack,
    arrival,
    lost,
    errors,
    held: arrival.count > 0 && arrival.p99 <= ARRIVAL_P99_LIMIT_MS && lost === 0 && Object.keys(errors).length === 0,
  };
}

/**
 * How many 1:1 messages a second the cloud carries: at each offered rate, in rising steps, fresh
 * users (so every step starts on fresh threads) each send to their partner at an even pace, each
 * sender starting at a random point of its interval, so that sends are spread over time rather
 * than bunched. Reports each step's ack and arrival, and the highest rate whose arrival p99 stays
 * within a second with nothing lost.
 */
export async function measureThroughput(cloud: CloudClient, settings: ThroughputSettings, runId: string): Promise<ThroughputReport> {
  const steps: ThroughputStep[] = [];
  const rates = [...settings.ratesPerSecond];
  while (rates.length > 0) {
    const rate = rates.shift()!;
    const ids = Array.from({ length: settings.users }, (_, index) => `bench-${runId}-thr${rate}-${index}`);
    const users = await connectUsers(cloud, ids);
    const half = Math.floor(users.length / 2);
    // Both directions of each pair's thread, so that every user sends and receives.
    const pairs = users.map((user, index): [BenchUser, BenchUser] => [user, users[(index + half) % (2 * half)]]).slice(0, 2 * half);
    try {
      // The handshakes' presence changes and the step before's tail done, so that the step measures its own messages.
      await settle(cloud);
      const outcomes = await drive(pairs, rate / pairs.length, settings.stepSeconds, chatProbe(WAIT_AFTER_STEP_MS));
      const step = stepOf(rate, settings.stepSeconds, outcomes);
      steps.push(step);
      if (step.lost > 0 || !(step.arrival.p99 <= OVERLOADED_P99_MS)) break;
    } finally {
      await closeUsers(users);
    }
  }
  const held = steps.filter((step) => step.held).map((step) => step.offeredPerSecond);
  return {
    users: settings.users,
    stepSeconds: settings.stepSeconds,
    arrivalP99LimitMs: ARRIVAL_P99_LIMIT_MS,
    steps,
    highestHeldPerSecond: held.length === 0 ? 0 : Math.max(...held),
    skippedRates: rates,
  };
}
