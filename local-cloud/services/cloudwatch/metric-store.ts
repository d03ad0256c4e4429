import { computeStatistic, type Statistic } from './statistics';

/** A metric as CloudWatch names it: namespace, name, and its dimensions (order does not matter). */
export interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface Datapoint {
  /** Epoch ms. */
  readonly timestamp: number;
  readonly value: number;
}

/** One period's statistic: `value` undefined when the metric received nothing in it. */
export interface PeriodValue {
  /** Epoch ms at which the period starts (periods are aligned to multiples of their length). */
  readonly start: number;
  readonly value: number | undefined;
}

/** How long datapoints are kept: longer than any alarm here looks back (3 periods of 5 minutes). */
const RETENTION_MS = 60 * 60 * 1000;

/** The key of a metric: the same metric whatever order its dimensions were given in. */
export function metricKey({ namespace, metricName, dimensions }: MetricIdentity): string {
  const sorted = Object.keys(dimensions)
    .sort()
    .map((name) => [name, dimensions[name]]);
  return JSON.stringify([namespace, metricName, sorted]);
}

/**
 * CloudWatch's metric store, locally: the datapoints every feed puts (EMF lines, Lambda's meter,
 * SQS samples), by metric, kept for an hour, and the statistic of each period over a range.
 * As in CloudWatch, a metric is one exact set of dimensions: a query names all of them.
 */
export class MetricStore {
  private readonly series = new Map<string, { identity: MetricIdentity; points: Datapoint[] }>();

  constructor(private readonly now: () => number = Date.now) {}

  put(identity: MetricIdentity, value: number, timestamp = this.now()): void {
    if (!Number.isFinite(value)) throw new Error(`metric ${identity.metricName}: ${value} is not a number CloudWatch accepts`);
    const key = metricKey(identity);
    let series = this.series.get(key);
    if (series === undefined) {
      series = { identity, points: [] };
      this.series.set(key, series);
    }
    series.points.push({ timestamp, value });
    const horizon = this.now() - RETENTION_MS;
    if (series.points[0].timestamp < horizon) series.points = series.points.filter((point) => point.timestamp >= horizon);
  }

  /** The metrics that received datapoints (of one namespace, if given), with how many they kept, their sum and the latest time. */
  summaries(namespace?: string): Array<MetricIdentity & { datapoints: number; sum: number; latest: number }> {
    return [...this.series.values()]
      .filter((series) => namespace === undefined || series.identity.namespace === namespace)
      .map(({ identity, points }) => ({
        ...identity,
        datapoints: points.length,
        sum: points.reduce((sum, point) => sum + point.value, 0),
        latest: Math.max(...points.map((point) => point.timestamp)),
      }));
  }

  /**
   * The statistic of each of `count` consecutive periods of `periodMs`, the last one ending at
   * `end` (a period boundary), oldest first.
   */
  periods(identity: MetricIdentity, statistic: Statistic, periodMs: number, end: number, count: number): PeriodValue[] {
    const points = this.series.get(metricKey(identity))?.points ?? [];
    const result: PeriodValue[] = [];
    for (let index = count; index >= 1; index--) {
      const start = end - index * periodMs;
      const values = points.filter((point) => point.timestamp >= start && point.timestamp < start + periodMs).map((point) => point.value);
      result.push({ start, value: computeStatistic(statistic, values) });
    }
    return result;
  }
}
