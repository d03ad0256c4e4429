import { UnsupportedExpression } from '../metric-math';
import type { MetricIdentity } from '../metric-store';
import { parseStatistic, type Statistic } from '../statistics';

/**
 * The part of CloudWatch's `SEARCH('{Namespace,Dim1,Dim2} Name="value" MetricName="X"', 'Stat', Period)`
 * the dashboard uses: a schema (metrics with exactly those dimensions in that namespace) narrowed by
 * exact `name="value"` terms, all of which must hold. Partial words, `OR`, `NOT` and the like are
 * refused by name rather than matched differently from CloudWatch.
 */
export interface MetricSearch {
  readonly namespace: string;
  readonly dimensionNames: readonly string[];
  /** `MetricName` and dimension values the metrics must have. */
  readonly terms: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
}

const SEARCH = /^\s*SEARCH\s*\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'([^']+)'\s*,\s*\d+\s*\)\s*$/;
const SCHEMA = /^\s*\{([^}]*)\}/;
const TERM = /^\s*"?([A-Za-z0-9_.:/-]+)"?\s*=\s*"([^"]*)"/;

const unquote = (text: string) => text.trim().replace(/^"(.*)"$/, '$1');

/** The search an expression makes; undefined when it is not a SEARCH; `UnsupportedExpression` for one beyond this subset. */
export function parseSearch(expression: string): MetricSearch | undefined {
  if (!/^\s*SEARCH\s*\(/.test(expression)) return undefined;
  const call = SEARCH.exec(expression);
  if (call === null) throw new UnsupportedExpression(`"${expression}": only SEARCH('query', 'statistic', period) is evaluated locally`);
  const [, query, statistic] = call;
  const schema = SCHEMA.exec(query);
  if (schema === null) throw new UnsupportedExpression(`"${expression}": a SEARCH without a {namespace,dimensions} schema is not evaluated locally`);
  const [namespace, ...dimensionNames] = schema[1].split(',').map(unquote);
  const terms: Record<string, string> = {};
  let rest = query.slice(schema[0].length);
  while (rest.trim() !== '') {
    const term = TERM.exec(rest);
    if (term === null) throw new UnsupportedExpression(`"${expression}": the search term "${rest.trim()}" is not evaluated locally (only name="value")`);
    terms[term[1]] = term[2];
    rest = rest.slice(term[0].length);
  }
  return { namespace, dimensionNames, terms, statistic: parseStatistic(statistic) };
}

/** Whether a metric is one the search finds. */
export function searchFinds(search: MetricSearch, metric: MetricIdentity): boolean {
  const names = Object.keys(metric.dimensions);
  return (
    metric.namespace === search.namespace &&
    names.length === search.dimensionNames.length &&
    search.dimensionNames.every((name) => name in metric.dimensions) &&
    Object.entries(search.terms).every(([name, value]) => (name === 'MetricName' ? metric.metricName === value : metric.dimensions[name] === value))
  );
}
