import type { Fetcher } from 'aws-jwt-verify/https';

const JWKS_FETCH_TIMEOUT_MS = 3000;

/**
 * Fetches JWKS with Node's built-in fetch. aws-jwt-verify's default fetcher speaks only https;
 * this one also reaches an http issuer, such as the local cloud's identity endpoint.
 */
export class JwksFetcher implements Fetcher {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS) });
    if (!response.ok) {
      throw new Error(`JWKS fetch from ${uri} answered ${response.status}`);
    }
    return response.arrayBuffer();
  }
}
