/** A token for `user` from the local cloud's `/dev/token`, which signs one for any user id. */
export async function fetchDevToken(user: string): Promise<string> {
  const response = await fetch(`/dev/token?${new URLSearchParams({ user })}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`could not get a token (HTTP ${response.status})`);
  const body = (await response.json()) as { token?: unknown };
  if (typeof body.token !== 'string') throw new Error('the token endpoint answered without a token');
  return body.token;
}
