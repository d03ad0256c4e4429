import type { MetricIdentity } from './metric-store';

/** A value an EMF log event puts into a metric. */
export interface EmfDatapoint {
  readonly metric: MetricIdentity;
  readonly value: number;
  /** Epoch ms, from `_aws.Timestamp`. */
  readonly timestamp: number;
}

/** What a log line holds for CloudWatch: nothing (not EMF), its datapoints, or why CloudWatch would reject it. */
export type EmfResult = { readonly kind: 'not-emf' } | { readonly kind: 'metrics'; readonly datapoints: EmfDatapoint[] } | { readonly kind: 'invalid'; readonly reason: string };

const NOT_EMF: EmfResult = { kind: 'not-emf' };
/** The specification's limits: dimensions per set, values per metric. */
const MAX_DIMENSIONS = 30;
const MAX_VALUES = 100;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Extracts the metrics of one log line as CloudWatch Logs does for the embedded metric format:
 * the line must be a JSON object alone, whose `_aws` member holds a `Timestamp` and
 * `CloudWatchMetrics` directives (`Namespace`, `Dimensions` as sets of member names, `Metrics` by
 * `Name`); each metric's value (a number, or an array of up to 100) and each dimension's value
 * (a string) are members of the root. Every dimension set makes a metric of its own. A line that
 * breaks the specification yields no metric at all, as CloudWatch counts it an EMF validation error.
 */
export function parseEmfLine(line: string): EmfResult {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.includes('"_aws"')) return NOT_EMF;
  let root: unknown;
  try {
    root = JSON.parse(trimmed);
  } catch {
    return NOT_EMF;
  }
  if (!isObject(root) || !isObject(root._aws)) return NOT_EMF;
  const { Timestamp: timestamp, CloudWatchMetrics: directives } = root._aws;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return invalid('_aws.Timestamp must be a number of milliseconds');
  if (!Array.isArray(directives)) return invalid('_aws.CloudWatchMetrics must be an array');
  const datapoints: EmfDatapoint[] = [];
  for (const directive of directives) {
    if (!isObject(directive)) return invalid('each CloudWatchMetrics entry must be an object');
    const { Namespace: namespace, Dimensions: dimensionSets, Metrics: metrics } = directive;
    if (typeof namespace !== 'string' || namespace.length === 0) return invalid('Namespace must be a non-empty string');
    if (!Array.isArray(dimensionSets) || !Array.isArray(metrics)) return invalid(`${namespace}: Dimensions and Metrics must be arrays`);
    const dimensionMaps: Record<string, string>[] = [];
    for (const set of dimensionSets) {
      if (!Array.isArray(set) || set.length > MAX_DIMENSIONS) return invalid(`${namespace}: a dimension set must be an array of at most ${MAX_DIMENSIONS} names`);
      const dimensions: Record<string, string> = {};
      for (const name of set) {
        if (typeof name !== 'string') return invalid(`${namespace}: dimension names must be strings`);
        const value = root[name];
        if (typeof value !== 'string') return invalid(`${namespace}: dimension ${name} must be a string member of the root`);
        dimensions[name] = value;
      }
      dimensionMaps.push(dimensions);
    }
    // A directive without dimension sets publishes its metrics without dimensions.
    if (dimensionMaps.length === 0) dimensionMaps.push({});
    for (const metric of metrics) {
      if (!isObject(metric) || typeof metric.Name !== 'string') return invalid(`${namespace}: each metric needs a Name`);
      const member = root[metric.Name];
      const values = Array.isArray(member) ? member : [member];
      if (values.length > MAX_VALUES || !values.every((value) => typeof value === 'number' && Number.isFinite(value))) {
        return invalid(`${namespace}: ${metric.Name} must be a number or an array of at most ${MAX_VALUES} numbers`);
      }
      for (const dimensions of dimensionMaps) {
        for (const value of values as number[]) datapoints.push({ metric: { namespace, metricName: metric.Name, dimensions }, value, timestamp });
      }
    }
  }
  return { kind: 'metrics', datapoints };
}

function invalid(reason: string): EmfResult {
  return { kind: 'invalid', reason };
}
