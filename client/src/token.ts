/**
 * The user id a token is for: its `sub` claim, read without verifying (the server verifies; the
 * client only needs to know which messages are its own).
 */
export function userIdOfToken(token: string): string {
  const { sub } = claimsOf(token);
  if (typeof sub !== 'string') throw new Error('the token has no sub claim');
  return sub;
}

/** When the token expires (epoch ms), read without verifying; undefined when it says nothing. */
export function expiryOfToken(token: string): number | undefined {
  const { exp } = claimsOf(token);
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

function claimsOf(token: string): { sub?: unknown; exp?: unknown } {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('the token is not a JWT');
  const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as { sub?: unknown; exp?: unknown };
}
