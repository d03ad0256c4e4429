import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { queryMap, required, SnsError, xmlEscape } from './query-protocol';

/** A notification the stand-in for APNs and FCM received, as `/dev/push` lists it. */
export interface RecordedPush {
  readonly userId: string;
  readonly platform: 'apns' | 'fcm';
  readonly token: string;
  readonly senderId?: string;
  readonly threadId?: string;
  readonly seq?: number;
  readonly preview?: string;
  /** What the lock screen shows: the APNs `aps.alert` or the FCM `notification`. */
  readonly alert?: { readonly title?: string; readonly body?: string };
  /** The payload the push service got, as it got it. */
  readonly payload: string;
  readonly at: number;
}

interface PlatformEndpoint {
  arn: string;
  applicationArn: string;
  token: string;
  customUserData: string;
  enabled: boolean;
}

/** Tokens the simulated push services reject, so tests can watch SNS disable their endpoints. */
const REJECTED_TOKEN_PREFIX = 'invalid-';
/**
 * Tokens whose publishes fail with a 500 the first FLAKY_FAILURES times, then go through, so tests
 * can watch one device fail while the others do not. Three failures are one failed send of an AWS
 * SDK client with its default three attempts.
 */
const FLAKY_TOKEN_PREFIX = 'flaky-';
const FLAKY_FAILURES = 3;

function platformOf(applicationArn: string): 'apns' | 'fcm' {
  const platform = /:app\/(APNS|APNS_SANDBOX|GCM)\//.exec(applicationArn)?.[1];
  if (platform === undefined) throw new SnsError(400, 'InvalidParameter', `Invalid parameter: PlatformApplicationArn ${applicationArn}`);
  return platform === 'GCM' ? 'fcm' : 'apns';
}

/** What the app would receive, read back from the payload SNS would hand to APNs or FCM. */
function notificationFields(platform: 'apns' | 'fcm', payload: string) {
  try {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    const data = (
      platform === 'apns' ? parsed : ((parsed.fcmV1Message as { message?: { data?: unknown } })?.message?.data ?? parsed.data)
    ) as Record<string, unknown> | undefined;
    const seq = Number(data?.seq);
    const alert = (platform === 'apns' ? (parsed.aps as { alert?: unknown })?.alert : (parsed.fcmV1Message as { message?: { notification?: unknown } })?.message?.notification) as
      | { title?: unknown; body?: unknown }
      | undefined;
    return {
      alert: {
        ...(typeof alert?.title === 'string' ? { title: alert.title } : {}),
        ...(typeof alert?.body === 'string' ? { body: alert.body } : {}),
      },
      senderId: typeof data?.senderId === 'string' ? data.senderId : undefined,
      threadId: typeof data?.threadId === 'string' ? data.threadId : undefined,
      seq: Number.isFinite(seq) ? seq : undefined,
      preview: typeof data?.preview === 'string' ? data.preview : undefined,
    };
  } catch {
    return {};
  }
}

/**
 * SNS mobile push: platform endpoints (kept in the data folder across restarts) and push
 * services that are simulated: every notification is recorded for `/dev/push`, a token starting
 * with `invalid-` is rejected, which disables its endpoint as APNs and FCM would, and one starting
 * with `flaky-` fails its first few publishes (see FLAKY_TOKEN_PREFIX).
 */
export class MobilePush {
  private endpoints = new Map<string, PlatformEndpoint>();
  /** Publishes failed so far per flaky endpoint. */
  private readonly flakyFailures = new Map<string, number>();
  private readonly pushLog: RecordedPush[] = [];

  constructor(private readonly dataDir: string) {}

  private get endpointsFile(): string {
    return path.join(this.dataDir, 'platform-endpoints.json');
  }

  private get pushLogFile(): string {
    return path.join(this.dataDir, 'push-notifications.jsonl');
  }

  async load(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    if (existsSync(this.endpointsFile)) {
      const saved = JSON.parse(await readFile(this.endpointsFile, 'utf8')) as PlatformEndpoint[];
      this.endpoints = new Map(saved.map((endpoint) => [endpoint.arn, endpoint]));
    }
    if (existsSync(this.pushLogFile)) {
      const lines = (await readFile(this.pushLogFile, 'utf8')).split('\n').filter(Boolean);
      this.pushLog.push(...lines.map((line) => JSON.parse(line) as RecordedPush));
    }
  }

  private saveEndpoints(): Promise<void> {
    return writeFile(this.endpointsFile, JSON.stringify([...this.endpoints.values()]));
  }

  /** The notifications recorded for a user's devices, oldest first. */
  notificationsFor(userId: string): RecordedPush[] {
    return this.pushLog.filter((push) => push.userId === userId);
  }

  private endpointOf(arn: string): PlatformEndpoint {
    const endpoint = this.endpoints.get(arn);
    if (endpoint === undefined) throw new SnsError(404, 'NotFound', 'Endpoint does not exist');
    return endpoint;
  }

  async deleteEndpoint(params: URLSearchParams): Promise<string> {
    this.endpoints.delete(required(params, 'EndpointArn'));
    await this.saveEndpoints();
    return '';
  }

  getEndpointAttributes(params: URLSearchParams): string {
    const endpoint = this.endpointOf(required(params, 'EndpointArn'));
    const attributes = { Enabled: String(endpoint.enabled), Token: endpoint.token, CustomUserData: endpoint.customUserData };
    return `<Attributes>${Object.entries(attributes)
      .map(([key, value]) => `<entry><key>${key}</key><value>${xmlEscape(value)}</value></entry>`)
      .join('')}</Attributes>`;
  }

  async setEndpointAttributes(params: URLSearchParams): Promise<string> {
    const endpoint = this.endpointOf(required(params, 'EndpointArn'));
    const attributes = queryMap(params, 'Attributes', 'key', 'value');
    if (attributes.Enabled !== undefined) endpoint.enabled = attributes.Enabled === 'true';
    if (attributes.Token !== undefined) endpoint.token = attributes.Token;
    if (attributes.CustomUserData !== undefined) endpoint.customUserData = attributes.CustomUserData;
    await this.saveEndpoints();
    return '';
  }

  async createPlatformEndpoint(params: URLSearchParams): Promise<string> {
    const applicationArn = required(params, 'PlatformApplicationArn');
    const token = required(params, 'Token');
    platformOf(applicationArn);
    const attributes = queryMap(params, 'Attributes', 'key', 'value');
    const customUserData = params.get('CustomUserData') ?? attributes.CustomUserData ?? '';
    const existing = [...this.endpoints.values()].find((endpoint) => endpoint.applicationArn === applicationArn && endpoint.token === token);
    if (existing && existing.customUserData !== customUserData) {
      throw new SnsError(400, 'InvalidParameter', `Invalid parameter: Token Reason: Endpoint ${existing.arn} already exists with the same Token, but different attributes.`);
    }
    const endpoint = existing ?? {
      arn: `${applicationArn.replace(':app/', ':endpoint/')}/${randomUUID()}`,
      applicationArn,
      token,
      customUserData,
      enabled: attributes.Enabled !== 'false',
    };
    this.endpoints.set(endpoint.arn, endpoint);
    await this.saveEndpoints();
    return `<EndpointArn>${xmlEscape(endpoint.arn)}</EndpointArn>`;
  }

  /** Publish with a `TargetArn`: the payload for the endpoint's platform goes to its device. */
  async pushToDevice(endpointArn: string, messages: Record<string, string> | undefined, message: string): Promise<void> {
    const endpoint = this.endpointOf(endpointArn);
    if (!endpoint.enabled) throw new SnsError(400, 'EndpointDisabled', 'Endpoint is disabled');
    const platform = platformOf(endpoint.applicationArn);
    if (endpoint.token.startsWith(FLAKY_TOKEN_PREFIX)) {
      const failures = this.flakyFailures.get(endpointArn) ?? 0;
      if (failures < FLAKY_FAILURES) {
        this.flakyFailures.set(endpointArn, failures + 1);
        throw new SnsError(500, 'InternalError', 'The push service is unavailable');
      }
    }
    const payload = messages ? (messages[platform === 'fcm' ? 'GCM' : 'APNS'] ?? messages.APNS_SANDBOX ?? messages.default) : message;
    if (endpoint.token.startsWith(REJECTED_TOKEN_PREFIX)) {
      // As SNS does when APNs or FCM rejects a token: the publish goes through, the endpoint is disabled.
      endpoint.enabled = false;
      await this.saveEndpoints();
      return;
    }
    const push: RecordedPush = {
      userId: endpoint.customUserData,
      platform,
      token: endpoint.token,
      ...notificationFields(platform, payload),
      payload,
      at: Date.now(),
    };
    this.pushLog.push(push);
    await appendFile(this.pushLogFile, `${JSON.stringify(push)}\n`);
  }
}
