/** What the page needs to know from the server that serves it, read from `/config.json`. */
export interface WebConfig {
  /** Where the WebSocket API listens; by default the page's own host (the local cloud serves both). */
  readonly webSocketUrl: string;
  /** Ping this often when quiet, within the gateway's idle limit. */
  readonly keepAliveMs: number;
}

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`could not load /config.json (HTTP ${response.status})`);
  const { webSocketUrl, keepAliveMs } = (await response.json()) as Record<string, unknown>;
  if (typeof keepAliveMs !== 'number' || !(keepAliveMs > 0)) throw new Error('/config.json: keepAliveMs must be a positive number');
  if (webSocketUrl !== undefined && (typeof webSocketUrl !== 'string' || !/^wss?:\/\//.test(webSocketUrl))) {
    throw new Error('/config.json: webSocketUrl must be a ws:// or wss:// URL');
  }
  return { webSocketUrl: webSocketUrl ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`, keepAliveMs };
}
