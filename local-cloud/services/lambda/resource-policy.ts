/** The AWS services that invoke this stack's functions, as `AWS::Lambda::Permission` names them. */
export type ServicePrincipal = 'apigateway.amazonaws.com' | 'sns.amazonaws.com' | 'events.amazonaws.com';

/**
 * Who asks Lambda to run a function. An AWS service is let in only by the function's resource
 * policy (its `AWS::Lambda::Permission` resources). An event source mapping's poller is Lambda
 * itself, acting with the function's execution role: no resource policy applies. The operator's
 * `/dev/invoke` stands for `aws lambda invoke` with administrator credentials, which IAM allows
 * without a resource policy either.
 */
export type Invoker =
  | { readonly kind: 'service'; readonly principal: ServicePrincipal; readonly sourceArn: string; readonly sourceAccount: string }
  | { readonly kind: 'event-source-mapping' }
  | { readonly kind: 'operator' };

export const EVENT_SOURCE_MAPPING: Invoker = { kind: 'event-source-mapping' };
export const OPERATOR: Invoker = { kind: 'operator' };

export function serviceInvoker(principal: ServicePrincipal, sourceArn: string, sourceAccount: string): Invoker {
  return { kind: 'service', principal, sourceArn, sourceAccount };
}

/** One statement of a function's resource policy, as an `AWS::Lambda::Permission` declares it. */
export interface InvokePermission {
  readonly logicalId: string;
  readonly principal: string;
  /** An ARN pattern (`*` and `?` as wildcards) the caller's source ARN must match. */
  readonly sourceArn?: string;
  readonly sourceAccount?: string;
}

const INVOKE_ACTIONS = new Set(['lambda:InvokeFunction', 'lambda:*']);

interface PermissionProperties {
  Action: string;
  FunctionName: string;
  Principal: string;
  SourceArn?: string;
  SourceAccount?: string;
  EventSourceToken?: string;
  PrincipalOrgID?: string;
  FunctionUrlAuthType?: string;
}

/** Reads a resolved `AWS::Lambda::Permission`; what the local cloud cannot honour is refused, not ignored. */
export function invokePermissionOf(logicalId: string, properties: PermissionProperties): { functionRef: string; permission?: InvokePermission } {
  for (const unsupported of ['EventSourceToken', 'PrincipalOrgID', 'FunctionUrlAuthType'] as const) {
    if (properties[unsupported] !== undefined) throw new Error(`permission ${logicalId} sets ${unsupported}, which the local cloud does not support`);
  }
  const permission = INVOKE_ACTIONS.has(properties.Action)
    ? { logicalId, principal: properties.Principal, sourceArn: properties.SourceArn, sourceAccount: properties.SourceAccount }
    : undefined;
  return { functionRef: properties.FunctionName, permission };
}

function globPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/**
 * IAM's `ArnLike`: the six colon-separated parts of the ARN are compared one by one, each with
 * `*` and `?` as wildcards, so a wildcard never reaches across a part (the resource part, the
 * sixth, keeps its own colons).
 */
export function arnLike(pattern: string, arn: string): boolean {
  const parts = (value: string) => {
    const split = value.split(':');
    return split.length < 6 ? undefined : [...split.slice(0, 5), split.slice(5).join(':')];
  };
  const [patternParts, arnParts] = [parts(pattern), parts(arn)];
  if (patternParts === undefined || arnParts === undefined) return false;
  return patternParts.every((part, index) => globPattern(part).test(arnParts[index]));
}

/** Whether any statement lets this invoker in; invokers other than services need no statement. */
export function permits(permissions: readonly InvokePermission[], invoker: Invoker): boolean {
  if (invoker.kind !== 'service') return true;
  return permissions.some(
    (permission) =>
      permission.principal === invoker.principal &&
      (permission.sourceArn === undefined || arnLike(permission.sourceArn, invoker.sourceArn)) &&
      (permission.sourceAccount === undefined || permission.sourceAccount === invoker.sourceAccount),
  );
}
