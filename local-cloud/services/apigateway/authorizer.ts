import { headerValue, type HandshakeRequest } from './lambda-events';

/** A REQUEST authorizer on `$connect`, as the template declares it. */
export interface ConnectAuthorizer {
  readonly functionRef: string;
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/authorizers/{authorizerId}`: the source Lambda's resource policy sees. */
  readonly sourceArn: string;
  /** Identity sources such as `route.request.querystring.token`; a missing one refuses with 401. */
  readonly identitySources: readonly string[];
}

/** What API Gateway makes of an authorizer's output. */
export type AuthorizerVerdict =
  | { readonly allowed: true; readonly context: Record<string, unknown> }
  | { readonly allowed: false; readonly status: 403 | 500; readonly reason: string };

/**
 * Whether an identity source is missing or empty: API Gateway then answers 401 without invoking
 * the authorizer. Header names match whatever their case; query parameters exactly.
 */
export function missingIdentitySource(sources: readonly string[], handshake: HandshakeRequest): boolean {
  return sources.some((source) => {
    const [, , location, name] = source.split('.');
    const value =
      location === 'querystring' ? handshake.queryStringParameters?.[name] : location === 'header' ? headerValue(handshake.headers, name) : undefined;
    return value === undefined || value === '';
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a policy `Resource` (one ARN or a list, `*` and `?` as wildcards) covers the method ARN. */
function covers(resource: unknown, methodArn: string): boolean {
  return (Array.isArray(resource) ? resource : [resource]).some(
    (pattern) =>
      typeof pattern === 'string' &&
      new RegExp(`^${pattern.split('*').map((part) => part.split('?').map(escapeRegExp).join('.')).join('.*')}$`).test(methodArn),
  );
}

const INVOKE_ACTIONS = new Set(['execute-api:Invoke', 'execute-api:*', '*']);

/** Allowed when an Allow statement covers the method ARN and no Deny statement does. */
export function policyAllows(result: unknown, methodArn: string): boolean {
  const statements = (result as { policyDocument?: { Statement?: unknown } })?.policyDocument?.Statement;
  if (!Array.isArray(statements)) return false;
  const matching = statements.filter(
    (statement) =>
      covers(statement?.Resource, methodArn) && [statement?.Action].flat().some((action: unknown) => typeof action === 'string' && INVOKE_ACTIONS.has(action)),
  );
  return matching.some((statement) => statement.Effect === 'Allow') && !matching.some((statement) => statement.Effect === 'Deny');
}

/**
 * Reads an authorizer's output: a policy that does not allow the method is 403; a `context`
 * holding an object or array (API Gateway takes only strings, numbers and booleans) is 500;
 * otherwise the context, with `principalId` and `integrationLatency`, rides on every later event.
 */
export function evaluateAuthorizerResult(result: unknown, methodArn: string): AuthorizerVerdict {
  if (!policyAllows(result, methodArn)) return { allowed: false, status: 403, reason: 'the policy does not allow the route' };
  const context = (result as { context?: Record<string, unknown> }).context ?? {};
  if (Object.values(context).some((value) => typeof value === 'object' && value !== null)) {
    return { allowed: false, status: 500, reason: 'authorizer context holds a non-primitive value, which API Gateway rejects' };
  }
  return { allowed: true, context: { ...context, principalId: (result as { principalId?: unknown }).principalId, integrationLatency: 0 } };
}
