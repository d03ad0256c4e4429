import { randomUUID } from 'node:crypto';
import { closeUsers, connectUsers, type BenchUser } from '../bench-user';
import type { CloudClient } from '../cloud';
import { distribution, sleep, type Distribution } from '../stats';

export interface LatencySettings {
  /** Connected users; the first half sends, each to its partner in the second half. */
  readonly users: number;
  /** Messages per second per sender. */
  readonly ratePerSender: number;
  readonly durationSeconds: number;
}

export interface LatencyResult {
  readonly users: number;
  readonly senders: number;
  readonly ratePerSender: number;
  readonly durationSeconds: number;
  /** Messages offered per second, all senders together. */
  readonly offeredPerSecond: number;
  /** send -> `sent` ack on the sender's socket, ms. */
  readonly ack: Distribution;
  /** send -> the message on the recipient's socket, ms. */
  readonly arrival: Distribution;
  /** The floor: the same harness, a frame through the gateway to a function that does nothing but answer. */
  readonly floor: Distribution;
  /** Sends that got no ack or never arrived within the wait. */
  readonly lost: number;
  readonly errors: Record<string, number>;
}

/** How long after the last send the scenario waits for stragglers. */
export const DRAIN_MS = 15_000;

/** What became of one send: ack and arrival in ms after it left (absent if they never came), or the error it got. */
export interface Outcome {
  /** When the frame left the sender, epoch ms. */
  readonly sentAt: number;
  readonly ack?: number;
  readonly arrival?: number;
  readonly error?: string;
}

export type Probe = (sender: BenchUser, recipient: BenchUser, sequence: number) => Promise<Outcome>;

/**
 * Sends at a fixed rate from every sender, starting each at a random offset within its interval,
 * for the duration, and resolves with every send's outcome once each has come or timed out.
 */
export async function drive(pairs: ReadonlyArray<readonly [BenchUser, BenchUser]>, ratePerSender: number, durationSeconds: number, probe: Probe): Promise<Outcome[]> {
  const outcomes: Array<Promise<Outcome>> = [];
  const intervalMs = 1000 / ratePerSender;
  const endAt = Date.now() + durationSeconds * 1000;
  await Promise.all(
    pairs.map(async ([sender, recipient]) => {
      await sleep(Math.random() * intervalMs);
      for (let sequence = 0; Date.now() < endAt; sequence++) {
        const started = Date.now();
        outcomes.push(probe(sender, recipient, sequence));
        await sleep(Math.max(0, intervalMs - (Date.now() - started)));
      }
    }),
  );
  return Promise.all(outcomes);
}

const withTimeout = <T>(promise: Promise<T>, ms: number, fallback: T) =>
  Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms))]);

/**
 * A 1:1 `sendMessage` from sender to recipient, timed from the frame leaving the sender to the ack
 * on the sender's socket and to the message on the recipient's; `waitMs` bounds the wait for each.
 */
export function chatProbe(waitMs: number): Probe {
  return async (sender, recipient, sequence) => {
    const clientMsgId = `m${sequence}-${randomUUID().slice(0, 8)}`;
    const acked = sender.next((frame) => (frame.type === 'ack' && frame.clientMsgId === clientMsgId) || (frame.type === 'error' && frame.reqId === clientMsgId), waitMs + DRAIN_MS);
    const arrived = recipient.next((frame) => frame.type === 'message' && frame.clientMsgId === clientMsgId, waitMs + DRAIN_MS);
    const sentAt = sender.send({ action: 'sendMessage', reqId: clientMsgId, clientMsgId, to: recipient.userId, text: `benchmark message ${sequence} from ${sender.userId}` });
    const ack = await withTimeout(acked, waitMs, undefined).catch(() => undefined);
    if (ack?.frame.type === 'error') {
      arrived.catch(() => undefined);
      return { sentAt, error: String(ack.frame.code) };
    }
    const arrival = await withTimeout(arrived.then((got) => got.at).catch(() => undefined), DRAIN_MS, undefined);
    return { sentAt, ack: ack && ack.at - sentAt, arrival: arrival && arrival - sentAt };
  };
}

/** Sends that got neither an error nor both their ack and their arrival. */
export const lostOf = (outcomes: readonly Outcome[]) => outcomes.filter((outcome) => !outcome.error && (outcome.ack === undefined || outcome.arrival === undefined)).length;

export function errorsOf(outcomes: readonly Outcome[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const { error } of outcomes) if (error) errors[error] = (errors[error] ?? 0) + 1;
  return errors;
}

/**
 * Latency of 1:1 chat under load: half the users send to the other half at a fixed rate;
 * measured from the frame leaving the sender to the ack on the sender's socket and to the message
 * on the recipient's. Then the floor, with the same users and rate: a frame no route takes, which
 * API Gateway hands to `$default`, whose function parses it and answers without calling AWS.
 */
export async function measureLatency(cloud: CloudClient, settings: LatencySettings, runId: string): Promise<LatencyResult> {
  const ids = Array.from({ length: settings.users }, (_, index) => `bench-${runId}-lat${settings.users}-${index}`);
  const users = await connectUsers(cloud, ids);
  const half = Math.floor(users.length / 2);
  const pairs = Array.from({ length: half }, (_, index): [BenchUser, BenchUser] => [users[index], users[half + index]]);
  try {
    const results = await drive(pairs, settings.ratePerSender, settings.durationSeconds, chatProbe(DRAIN_MS + settings.durationSeconds * 1000));
    const floorProbe: Probe = async (sender, _recipient, sequence) => {
      const reqId = `f${sequence}-${randomUUID().slice(0, 8)}`;
      const replied = sender.next((frame) => frame.reqId === reqId, 60_000);
      const sentAt = sender.send({ action: 'benchmarkFloor', reqId });
      return withTimeout(replied.then((got) => ({ sentAt, ack: got.at - sentAt })), DRAIN_MS + settings.durationSeconds * 1000, { sentAt });
    };
    const floor = await drive(pairs, settings.ratePerSender, settings.durationSeconds, floorProbe);

    return {
      users: settings.users,
      senders: half,
      ratePerSender: settings.ratePerSender,
      durationSeconds: settings.durationSeconds,
      offeredPerSecond: half * settings.ratePerSender,
      ack: distribution(results.flatMap((result) => (result.ack === undefined ? [] : [result.ack]))),
      arrival: distribution(results.flatMap((result) => (result.arrival === undefined ? [] : [result.arrival]))),
      floor: distribution(floor.flatMap((result) => (result.ack === undefined ? [] : [result.ack]))),
      lost: lostOf(results),
      errors: errorsOf(results),
    };
  } finally {
    await closeUsers(users);
  }
}
