/** IAM's `*` and `?` wildcards, for actions, resource ARNs and `*Like` conditions. */

/**
 * Compiled patterns, by pattern and case: the policies' patterns are few and fixed, and every
 * proxied call is checked against them (compiling them at each call was the busiest JavaScript of the local cloud's process under load).
 */
const compiled = new Map<string, RegExp>();

/** `*` (any run of characters) and `?` (one character) as a regular expression over the whole string. */
export function wildcardPattern(pattern: string, ignoreCase = false): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(key);
  if (regex === undefined) {
    const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    // Neither global nor sticky, so that one instance can be shared: `test` keeps no state.
    regex = new RegExp(`^${escaped}$`, ignoreCase ? 'is' : 's');
    compiled.set(key, regex);
  }
  return regex;
}

/** Actions are `service:Operation`, matched case-insensitively, with wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardPattern(pattern, true).test(action);
}

function arnParts(value: string): string[] | undefined {
  const parts = value.split(':');
  return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * An ARN against a `Resource` (or `ArnLike`) pattern: each of the six colon-separated parts is
 * matched on its own, case-sensitively, with `*` and `?`; the last part keeps any further colons.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const patternParts = arnParts(pattern);
  const actualParts = arnParts(arn);
  if (patternParts === undefined || actualParts === undefined) return false;
  return patternParts.every((part, index) => wildcardPattern(part).test(actualParts[index]));
}
