/** The statistics an alarm or a chart may ask of a period's datapoints. */
export type Statistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount' | `p${number}`;

const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100)$/;
const SIMPLE = new Set(['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount']);

/** The statistic named as in a template (`Stat`, `Statistic` or `ExtendedStatistic`), or an error naming it. */
export function parseStatistic(name: string): Statistic {
  if (SIMPLE.has(name) || PERCENTILE.test(name)) return name as Statistic;
  throw new Error(`statistic ${name} is not one the local cloud computes (Sum, Average, Minimum, Maximum, SampleCount, pNN)`);
}

/**
 * One statistic of the values a metric received in a period; undefined when it received none (a
 * missing datapoint, not zero). Percentiles are nearest-rank over the raw values: CloudWatch
 * estimates them from its own buckets, so a local p99 may differ from AWS's in the last digit.
 */
export function computeStatistic(statistic: Statistic, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'Sum':
      return values.reduce((sum, value) => sum + value, 0);
    case 'Average':
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
    default: {
      const percent = Number(statistic.slice(1));
      const sorted = [...values].sort((a, b) => a - b);
      const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
      return sorted[rank - 1];
    }
  }
}
