import type { InvocationRecord } from '../local-cloud/services/lambda/metering';

/** What the benchmark reads of a running local cloud, through its `/dev` endpoints. */
export interface MeterSnapshot {
  readonly since: number;
  readonly until: number;
  readonly droppedInvocations: number;
  readonly pollerRequests: Record<string, number>;
  readonly invocations: InvocationRecord[];
}

export interface LocalFunction {
  readonly logicalId: string;
  readonly functionName: string;
  readonly assetDirectory: string;
  readonly handler: string;
  readonly memoryMb: number;
  readonly environment: Record<string, string>;
  readonly runtimeEnvironment: Record<string, string>;
}

export class CloudClient {
  constructor(
    readonly baseUrl: string,
    readonly webSocketUrl: string,
  ) {}

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const body = (await response.json()) as T;
    if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** A token for `userId`, living `expiresInSeconds` (a day, the most the authorizer accepts, unless told). */
  async token(userId: string, expiresInSeconds = 86_400): Promise<string> {
    return (await this.json<{ token: string }>(`/dev/token?user=${encodeURIComponent(userId)}&expiresIn=${expiresInSeconds}`)).token;
  }

  async resetMeter(): Promise<void> {
    await this.json('/dev/stats/reset', { method: 'POST' });
  }

  meter(): Promise<MeterSnapshot> {
    return this.json<MeterSnapshot>('/dev/stats');
  }

  async functions(): Promise<LocalFunction[]> {
    return (await this.json<{ functions: LocalFunction[] }>('/dev/functions')).functions;
  }

  async invoke(functionRef: string, event: unknown): Promise<unknown> {
    const body = await this.json<{ result?: unknown; functionError?: string; message?: string }>(`/dev/invoke?function=${encodeURIComponent(functionRef)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(event),
    });
    if (body.functionError) throw new Error(`${functionRef} failed: ${body.functionError}: ${body.message}`);
    return body.result;
  }

  async standIns(): Promise<{ cassandra: { endpoint: string }; dynamodb: { endpoint: string; tables: Record<string, string> } }> {
    return this.json('/dev/stand-ins');
  }

  /** The one function whose logical id starts with `prefix`. */
  async functionNamed(prefix: string): Promise<LocalFunction> {
    const matches = (await this.functions()).filter((fn) => fn.logicalId.startsWith(prefix));
    if (matches.length !== 1) throw new Error(`expected one function named ${prefix}*, found ${matches.map((fn) => fn.logicalId).join(', ')}`);
    return matches[0];
  }
}
