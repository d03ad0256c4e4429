/**
 * What a token must be to open or keep a connection, beyond its signature, issuer and audience
 * (which the verifier checks): it says when it was issued and when it expires, and it lives at
 * most MAX_TOKEN_LIFETIME_SECONDS. A token without `exp` would open connections forever, one with
 * a lifetime of decades nearly so; both are refused.
 */

/**
 * The longest a token may be valid, `exp - iat`: 24 hours. Cognito's ID tokens live 5 minutes to
 * a day (the stack's app client issues them for 10 minutes, lib/constructs/identity.ts), so any
 * token of a configured issuer fits; a token minted to last longer is refused outright.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/** How far in the future `iat` may lie (issuer and verifier clocks disagree by this much at most). */
export const ISSUED_AT_SKEW_SECONDS = 60;

/** Hosts that may serve an issuer over plain http: this machine only (the local cloud's identity endpoint). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why a token issuer or JWKS URL is not acceptable, or undefined when it is: signing keys fetched
 * over plain http can be swapped on the way, so both must be https, except on this machine's
 * loopback interface, where the local cloud signs its own tokens. The one rule for synth
 * (lib/constructs/identity.ts) and for the functions' cold start (lambdas/shared/token-issuer.ts).
 */
export function issuerUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return undefined;
  return `"${url}" must be an https URL (plain http only for 127.0.0.1 or localhost)`;
}

/** A verified token: who it is for and until when (epoch seconds). */
export interface VerifiedToken {
  readonly userId: string;
  readonly expiresAt: number;
}

/** Checks a token's signature, issuer, audience, expiry and lifetime. */
export interface TokenVerifier {
  /** The token's user and expiry; throws TokenRejectedError for any token that is not acceptable. */
  verify(token: string): Promise<VerifiedToken>;
}

/** The token is not acceptable; the message says why, for logs (clients are told less). */
export class TokenRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

/**
 * Checks `iat` and `exp`: both present, whole epoch seconds, issued no later than now (give or
 * take the skew) and valid for at most MAX_TOKEN_LIFETIME_SECONDS. Expiry itself is the verifier's.
 */
export function checkTokenLifetime(claims: { readonly iat?: unknown; readonly exp?: unknown }, nowSeconds: number): void {
  const { iat, exp } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new TokenRejectedError('token has no exp claim');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new TokenRejectedError('token has no iat claim');
  if (iat > nowSeconds + ISSUED_AT_SKEW_SECONDS) throw new TokenRejectedError('token is issued in the future');
  if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new TokenRejectedError(`token lives ${exp - iat} s, over the ${MAX_TOKEN_LIFETIME_SECONDS} s allowed`);
  }
}
