/** How long to wait before retrying: exponential, capped. */
export interface BackoffOptions {
  /** The cap of the first wait; it doubles with each attempt. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** The largest cap. Default 30 s. */
  readonly maxDelayMs?: number;
}

/**
 * Exponential backoff with full jitter: a uniformly random wait between 0 and the attempt's cap,
 * so that many clients cut off together do not come back together.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const cap = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}
