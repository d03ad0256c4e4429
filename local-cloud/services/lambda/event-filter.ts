/**
 * Lambda event filtering (`FilterCriteria`) for the patterns the local cloud understands: objects
 * whose leaves are arrays of exact values or `{"prefix": "..."}` rules, e.g.
 * `{"eventName":["INSERT"],"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"msg#"}]}}}}`. A record
 * passes when any filter matches. Other rules (numeric, exists, anything-but...) are refused when
 * the mapping is read, rather than silently matching everything.
 */
export type EventFilter = (record: unknown) => boolean;

type Rule = string | number | boolean | null | { readonly prefix: string };
type Pattern = { readonly [key: string]: Pattern | readonly Rule[] };

const isPrefixRule = (rule: unknown): rule is { prefix: string } =>
  typeof rule === 'object' && rule !== null && Object.keys(rule).length === 1 && typeof (rule as { prefix?: unknown }).prefix === 'string';

function parsePattern(text: string, where: string): Pattern {
  const check = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      const unsupported = value.find((leaf) => typeof leaf === 'object' && leaf !== null && !isPrefixRule(leaf));
      if (unsupported !== undefined) {
        throw new Error(`${where}: filter rule ${JSON.stringify(unsupported)} at ${path} is not supported locally; only exact values are`);
      }
      return;
    }
    if (typeof value !== 'object' || value === null) throw new Error(`${where}: filter pattern at ${path || 'top'} must be an object or an array of values`);
    for (const [key, child] of Object.entries(value)) check(child, path ? `${path}.${key}` : key);
  };
  const pattern: unknown = JSON.parse(text);
  check(pattern, '');
  return pattern as Pattern;
}

function matches(pattern: Pattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const field = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) {
      return (rule as readonly Rule[]).some((allowed) => (isPrefixRule(allowed) ? typeof field === 'string' && field.startsWith(allowed.prefix) : allowed === field));
    }
    return matches(rule as Pattern, field);
  });
}

/** The filter of a mapping's `FilterCriteria`; without filters every record passes. */
export function eventFilterOf(criteria: { Filters?: Array<{ Pattern?: string }> } | undefined, where: string): EventFilter {
  const patterns = (criteria?.Filters ?? []).map((filter) => parsePattern(filter.Pattern ?? '{}', where));
  if (patterns.length === 0) return () => true;
  return (record) => patterns.some((pattern) => matches(pattern, record));
}
