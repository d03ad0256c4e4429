/**
 * Lambda event filtering (`FilterCriteria`) for the patterns the local cloud understands: objects
 * whose leaves are arrays of exact values, e.g. `{"eventName":["INSERT","REMOVE"]}`. A record
 * passes when any filter matches. Richer patterns (prefix, numeric, exists...) are refused when
 * the mapping is read, rather than silently matching everything.
 */
export type EventFilter = (record: unknown) => boolean;

type Pattern = { readonly [key: string]: Pattern | readonly (string | number | boolean | null)[] };

function parsePattern(text: string, where: string): Pattern {
  const check = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      const unsupported = value.find((leaf) => typeof leaf === 'object' && leaf !== null);
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
    if (Array.isArray(rule)) return rule.includes(field as string);
    return matches(rule as Pattern, field);
  });
}

/** The filter of a mapping's `FilterCriteria`; without filters every record passes. */
export function eventFilterOf(criteria: { Filters?: Array<{ Pattern?: string }> } | undefined, where: string): EventFilter {
  const patterns = (criteria?.Filters ?? []).map((filter) => parsePattern(filter.Pattern ?? '{}', where));
  if (patterns.length === 0) return () => true;
  return (record) => patterns.some((pattern) => matches(pattern, record));
}
