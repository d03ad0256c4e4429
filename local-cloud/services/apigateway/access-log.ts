/**
 * The stage's access log: per request (a handshake, a frame, a disconnect) one line in the
 * stage's `AccessLogSettings.Format`, its `$context` variables filled from the request as API
 * Gateway fills them for a WebSocket API ("Configure logging for WebSocket APIs in API Gateway"),
 * `-` where a variable has no value, appended to a file named after the destination log group.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { resourcesOfType, type StackAssembly } from '../../assembly/cloud-assembly';
import type { IntrinsicResolver } from '../../assembly/intrinsics';
import type { RequestContext } from './lambda-events';

export interface AccessLogSettings {
  /** The destination log group's name, from `DestinationArn`. */
  readonly logGroupName: string;
  readonly format: string;
}

/** What API Gateway knows of a request when it logs it, beyond the event's `requestContext`. */
export interface AccessLogEntry {
  readonly context: RequestContext;
  /** The authorizer's context (with `principalId`), as `$context.authorizer.*`. */
  readonly authorizer?: Record<string, unknown>;
  /** The status of the response to the request. */
  readonly status: number;
  /** The message API Gateway answered a failed request with, as `$context.error.message`. */
  readonly errorMessage?: string;
  /** An integration that ran: its status, latency and error (what the function failed with). */
  readonly integration?: { readonly status?: number; readonly latencyMs: number; readonly error?: string };
}

/** The stage's access log settings, when it has any. */
export function accessLogSettingsOf(assembly: StackAssembly, resolver: IntrinsicResolver): AccessLogSettings | undefined {
  const [stage] = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Stage');
  const settings = stage?.[1].Properties?.AccessLogSettings as { DestinationArn?: unknown; Format?: unknown } | undefined;
  if (settings?.DestinationArn === undefined || settings.Format === undefined) return undefined;
  const arn = resolver.resolveString(settings.DestinationArn);
  const logGroupName = /:log-group:([^:]+)/.exec(arn)?.[1];
  if (logGroupName === undefined) throw new Error(`the stage's access log destination is not a log group: ${arn}`);
  return { logGroupName, format: resolver.resolveString(settings.Format) };
}

/** The `$context` variables of a request, by name without `$context.`. */
export function contextVariables(entry: AccessLogEntry): Record<string, string | number | undefined> {
  const { context, integration } = entry;
  const { identity, ...scalars } = context;
  return {
    ...scalars,
    'identity.sourceIp': identity.sourceIp,
    'identity.userAgent': identity.userAgent,
    ...Object.fromEntries(Object.entries(entry.authorizer ?? {}).map(([key, value]) => [`authorizer.${key}`, value === undefined || value === null ? undefined : String(value)])),
    status: entry.status,
    'error.message': entry.errorMessage,
    'integration.status': integration?.status,
    integrationStatus: integration?.status,
    'integration.latency': integration?.latencyMs,
    integrationLatency: integration?.latencyMs,
    'integration.error': integration?.error,
  };
}

/**
 * One line of the format: each `$context.name` replaced by its value, escaped for the JSON string
 * the format puts it in, or `-` when it has none.
 */
export function renderAccessLogLine(format: string, variables: Record<string, string | number | undefined>): string {
  return format.replace(/\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g, (_match, name: string) => {
    const value = variables[name];
    return value === undefined || value === '' ? '-' : JSON.stringify(String(value)).slice(1, -1);
  });
}

/** The access log group, kept as a file under the local cloud's log folder. */
export class AccessLog {
  private writing: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(
    readonly settings: AccessLogSettings,
    logDir: string,
    private readonly log: (message: string) => void,
  ) {
    this.file = path.join(logDir, 'apigateway', `${settings.logGroupName}.log`);
  }

  write(entry: AccessLogEntry): void {
    const line = renderAccessLogLine(this.settings.format, contextVariables(entry));
    this.writing = this.writing
      .then(() => mkdir(path.dirname(this.file), { recursive: true }))
      .then(() => appendFile(this.file, `${line}\n`))
      .catch((error: Error) => this.log(`access log: ${error.message}`));
  }

  /** Every line written so far, oldest first. */
  async lines(): Promise<string[]> {
    await this.writing;
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)));
    return text.split('\n').filter((line) => line !== '');
  }
}
