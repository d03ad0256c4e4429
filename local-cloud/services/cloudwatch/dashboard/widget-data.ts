import { compileExpression, UnsupportedExpression, type Series } from '../metric-math';
import type { MetricStore } from '../metric-store';
import type { WidgetQuery, YAxisSide } from './body';
import { parseSearch, searchFinds } from './search';

/** One drawn line of a widget: its values per period (null where it has no datapoint), or why it has none. */
export interface SeriesData {
  readonly id: string;
  readonly label: string;
  readonly yAxis: YAxisSide;
  readonly color?: string;
  readonly values: ReadonlyArray<number | null>;
  /** Why the local cloud cannot draw this series (an expression it does not evaluate). */
  readonly error?: string;
}

/** What `GET /dev/dashboard/data` answers for one metric widget. */
export interface WidgetData {
  readonly periodSeconds: number;
  /** Epoch seconds at which each period starts, oldest first. */
  readonly timestamps: readonly number[];
  /** The visible queries' series, in the body's order. */
  readonly series: readonly SeriesData[];
}

export interface TimeRange {
  /** Epoch ms; the range's last period is the one holding this instant, so the newest datapoints show at once. */
  readonly end: number;
  readonly seconds: number;
  /** Draws every query at this period instead of its own (the console's period override). */
  readonly periodSeconds?: number;
}

/** No chart needs more points than a wide screen has pixels for. */
const MAX_PERIODS = 1440;

/**
 * A metric widget's series over a time range, as GetMetricData answers the console: each metric's
 * statistic per period from the metric store, then each expression over them (in the order they
 * depend on each other). A widget is drawn at one period: the override, else the longest of its
 * queries' periods, so that no query is drawn finer than it asks.
 */
export function widgetData(store: MetricStore, queries: readonly WidgetQuery[], range: TimeRange): WidgetData {
  const periodSeconds = range.periodSeconds ?? Math.max(...queries.map((query) => query.periodSeconds));
  const periodMs = periodSeconds * 1000;
  const count = Math.min(MAX_PERIODS, Math.max(1, Math.ceil(range.seconds / periodSeconds)));
  const end = Math.floor(range.end / periodMs) * periodMs + periodMs;
  const timestamps = Array.from({ length: count }, (_, index) => (end - (count - index) * periodMs) / 1000);

  const values = new Map<string, Series>();
  const errors = new Map<string, string>();
  /** A SEARCH's series: one per metric it finds, labelled by the dimensions its terms leave open. */
  const searched = new Map<string, Array<{ label: string; values: Series }>>();
  const periodsOf = (metric: Parameters<MetricStore['periods']>[0], statistic: Parameters<MetricStore['periods']>[1]) =>
    store.periods(metric, statistic, periodMs, end, count).map((period) => period.value);
  for (const query of queries) {
    if (query.kind === 'metric') values.set(query.id, periodsOf(query, query.statistic));
  }
  let pending = queries.filter((query) => query.kind === 'expression');
  while (pending.length > 0) {
    const waiting: typeof pending = [];
    for (const query of pending) {
      try {
        const search = parseSearch(query.expression);
        if (search !== undefined) {
          const found = store.summaries(search.namespace).filter((metric) => searchFinds(search, metric));
          searched.set(
            query.id,
            found.map((metric) => ({
              label: [query.label.trim(), ...Object.entries(metric.dimensions).filter(([name]) => !(name in search.terms)).map(([, value]) => value)].filter(Boolean).join(' '),
              values: periodsOf(metric, search.statistic),
            })),
          );
          continue;
        }
        const compiled = compileExpression(query.expression);
        const unknown = [...compiled.ids].filter((id) => !queries.some((other) => other.id === id));
        if (unknown.length > 0) throw new UnsupportedExpression(`it reads ${unknown.join(', ')}, which the widget does not define`);
        if ([...compiled.ids].some((id) => searched.has(id))) throw new UnsupportedExpression('it reads a SEARCH, whose several series local metric math does not combine');
        if ([...compiled.ids].some((id) => !values.has(id) && !errors.has(id))) waiting.push(query);
        else if ([...compiled.ids].some((id) => errors.has(id))) errors.set(query.id, 'it reads a series the local cloud cannot draw');
        else values.set(query.id, compiled.evaluate(values, count, periodSeconds));
      } catch (error) {
        errors.set(query.id, (error as Error).message);
      }
    }
    // Expressions that only wait on each other form a cycle, which CloudWatch refuses too.
    if (waiting.length === pending.length) waiting.forEach((query) => errors.set(query.id, 'it depends on itself through other expressions'));
    pending = waiting.length === pending.length ? [] : waiting;
  }

  const series = queries
    .filter((query) => query.visible)
    .flatMap((query) => {
      const drawn = (id: string, label: string, points: ReadonlyArray<number | undefined>) => ({
        id,
        label: dynamicLabel(label, points.map((value) => value ?? null)),
        yAxis: query.yAxis,
        color: query.color,
        values: points.map((value) => value ?? null),
      });
      const error = errors.get(query.id);
      if (error !== undefined) return [{ ...drawn(query.id, query.label, timestamps.map(() => undefined)), error: `not drawn locally: ${error}` }];
      const found = searched.get(query.id);
      // A search that finds nothing gives no series, as in CloudWatch.
      if (found !== undefined) return found.map((result, index) => drawn(`${query.id}_${index + 1}`, result.label, result.values));
      return [drawn(query.id, query.label, values.get(query.id) ?? [])];
    });
  return { periodSeconds, timestamps, series };
}

/** The console's dynamic labels (`P99 (avg: ${AVG})`), over the range shown; others are left as written. */
function dynamicLabel(label: string, points: ReadonlyArray<number | null>): string {
  const present = points.filter((point): point is number => point !== null);
  if (present.length === 0) return label.replace(/\$\{(AVG|MIN|MAX|SUM|FIRST|LAST)\}/g, '–');
  const sum = present.reduce((total, value) => total + value, 0);
  const statistics: Record<string, number> = {
    AVG: sum / present.length,
    MIN: Math.min(...present),
    MAX: Math.max(...present),
    SUM: sum,
    FIRST: present[0],
    LAST: present[present.length - 1],
  };
  return label.replace(/\$\{(AVG|MIN|MAX|SUM|FIRST|LAST)\}/g, (_, name: string) => formatNumber(statistics[name]));
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}
