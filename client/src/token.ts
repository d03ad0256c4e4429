/**
 * The user id a token is for: its `sub` claim, read without verifying (the server verifies; the
 * client only needs to know which messages are its own).
 */
export function userIdOfToken(token: string): string {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('the token is not a JWT');
  const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  const claims = JSON.parse(new TextDecoder().decode(bytes)) as { sub?: unknown };
  if (typeof claims.sub !== 'string') throw new Error('the token has no sub claim');
  return claims.sub;
}
