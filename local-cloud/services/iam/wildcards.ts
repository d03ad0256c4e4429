/** IAM's `*` and `?` wildcards, for actions, resource ARNs and `*Like` conditions. */

/** `*` (any run of characters) and `?` (one character) as a regular expression over the whole string. */
export function wildcardPattern(pattern: string, ignoreCase = false): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'is' : 's');
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
