import type { Node } from 'constructs';
import type { TokenIssuer } from './constructs/identity';
import type { PushPlatformApplications } from './constructs/push-notifications';

/** Context keys that point the authorizer at an identity provider other than the stack's Cognito pool. */
export const TOKEN_ISSUER_CONTEXT = {
  issuerUrl: 'messenger:tokenIssuerUrl',
  jwksUri: 'messenger:tokenJwksUri',
  audience: 'messenger:tokenAudience',
} as const;

/**
 * Reads an external token issuer from CDK context (`-c messenger:tokenIssuerUrl=...`).
 * The local cloud uses it to have tokens signed by its own identity endpoint; a deployment
 * normally leaves it unset and uses the stack's user pool. All three keys or none.
 */
export function tokenIssuerFromContext(node: Node): TokenIssuer | undefined {
  const values = Object.fromEntries(
    Object.entries(TOKEN_ISSUER_CONTEXT).map(([field, key]) => [field, node.tryGetContext(key) as unknown]),
  );
  const given = Object.entries(values).filter(([, value]) => value !== undefined);
  if (given.length === 0) return undefined;
  if (given.length !== 3) {
    throw new Error(`Set all of ${Object.values(TOKEN_ISSUER_CONTEXT).join(', ')} or none of them`);
  }
  for (const [field, value] of given) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new Error(`Context ${TOKEN_ISSUER_CONTEXT[field as keyof typeof TOKEN_ISSUER_CONTEXT]} must be a non-empty string`);
    }
    if (field !== 'audience' && !/^https?:\/\/\S+$/.test(value)) {
      throw new Error(`Context ${TOKEN_ISSUER_CONTEXT[field as keyof typeof TOKEN_ISSUER_CONTEXT]} must be an http(s) URL, got "${value}"`);
    }
  }
  return values as unknown as TokenIssuer;
}

/** Context key for the seconds without a frame after which a connection counts as stale. */
export const IDLE_TIMEOUT_CONTEXT = 'messenger:idleTimeoutSeconds';

/** Reads the idle timeout from CDK context; the local cloud shortens it for its tests. */
export function idleTimeoutFromContext(node: Node): number | undefined {
  return wholeNumberFromContext(node, IDLE_TIMEOUT_CONTEXT, 600, 'seconds');
}

/** Reads a whole number from 1 to `max` from CDK context; unset, undefined. */
function wholeNumberFromContext(node: Node, key: string, max: number, unit: string): number | undefined {
  const value = node.tryGetContext(key) as unknown;
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) {
    throw new Error(`Context ${key} must be a whole number of ${unit} from 1 to ${max}, got "${String(value)}"`);
  }
  return number;
}

/** Context keys for the ARNs of the SNS platform applications (created outside CloudFormation). */
export const PUSH_APPLICATIONS_CONTEXT = {
  apns: 'messenger:apnsPlatformApplicationArn',
  fcm: 'messenger:fcmPlatformApplicationArn',
} as const;

const PLATFORM_APPLICATION_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:app\/(APNS|APNS_SANDBOX|GCM)\/[\w.-]+$/;

/** Reads the platform application ARNs from CDK context; either may be left out. */
export function pushApplicationsFromContext(node: Node): PushPlatformApplications {
  const applications: { apns?: string; fcm?: string } = {};
  for (const [platform, key] of Object.entries(PUSH_APPLICATIONS_CONTEXT) as Array<['apns' | 'fcm', string]>) {
    const value = node.tryGetContext(key) as unknown;
    if (value === undefined) continue;
    if (typeof value !== 'string' || !PLATFORM_APPLICATION_ARN.test(value)) {
      throw new Error(`Context ${key} must be an SNS platform application ARN (arn:aws:sns:<region>:<account>:app/<APNS|APNS_SANDBOX|GCM>/<name>), got "${String(value)}"`);
    }
    const expectedPlatform = platform === 'apns' ? /:app\/APNS/ : /:app\/GCM\//;
    if (!expectedPlatform.test(value)) throw new Error(`Context ${key} names an application of another platform: ${value}`);
    applications[platform] = value;
  }
  return applications;
}

/** Context key: `false` when another stack already set API Gateway's CloudWatch Logs role in this account and region. */
export const API_GATEWAY_LOG_ROLE_CONTEXT = 'messenger:setApiGatewayAccountLogRole';

/** Reads whether the stack sets API Gateway's CloudWatch Logs role (`true` or `false`; unset means true). */
export function apiGatewayLogRoleFromContext(node: Node): boolean | undefined {
  const value = node.tryGetContext(API_GATEWAY_LOG_ROLE_CONTEXT) as unknown;
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${API_GATEWAY_LOG_ROLE_CONTEXT} must be true or false, got "${String(value)}"`);
}

/** Context key for the history lag (seconds a message may wait for history) past which its alarm fires. */
export const HISTORY_LAG_ALARM_CONTEXT = 'messenger:historyLagAlarmSeconds';

/** Reads the history-lag alarm's threshold from CDK context; the local cloud shortens it for its tests. */
export function historyLagAlarmFromContext(node: Node): number | undefined {
  return wholeNumberFromContext(node, HISTORY_LAG_ALARM_CONTEXT, 86_400, 'seconds');
}

/**
 * Context key for the groups one user may create an hour (`-c messenger:groupsCreatedPerHour=100`),
 * for acceptance suites that reuse their users; unset, the functions' default (20, lambdas/domain/budget.ts).
 */
export const GROUPS_CREATED_PER_HOUR_CONTEXT = 'messenger:groupsCreatedPerHour';

/** The most groups an hour the stack lets anyone allow: each may hold 1,024 members. */
export const MAX_GROUPS_CREATED_PER_HOUR = 10_000;

/** Reads the groups a user may create an hour from CDK context. */
export function groupsCreatedPerHourFromContext(node: Node): number | undefined {
  return wholeNumberFromContext(node, GROUPS_CREATED_PER_HOUR_CONTEXT, MAX_GROUPS_CREATED_PER_HOUR, 'groups');
}

/** Context key: an address the alarm topic emails (`-c messenger:alarmEmail=ops@example.com`). */
export const ALARM_EMAIL_CONTEXT = 'messenger:alarmEmail';

/**
 * One address, as SNS's email protocol takes it: a local part and a dotted domain, nothing
 * around them (a name, a list, spaces or angle brackets would subscribe nobody).
 */
const EMAIL_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Reads the address the alarms email from CDK context; unset means no subscription. */
export function alarmEmailFromContext(node: Node): string | undefined {
  const value = node.tryGetContext(ALARM_EMAIL_CONTEXT) as unknown;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 254 || !EMAIL_ADDRESS.test(value)) {
    throw new Error(`Context ${ALARM_EMAIL_CONTEXT} must be one email address such as ops@example.com, got "${String(value)}"`);
  }
  return value;
}
