/**
 * IAM for the local cloud: tells callers apart by the access key in their SigV4 signature, and
 * decides each of their requests against their role's policies and the resource's policy.
 */
import { classifyRequest, UnclassifiableRequestError, type HttpRequestView, type IamService, type ServicePlacement } from './classify';
import { accessDenied, accessDeniedMessage, invalidAccessKey, type DenialResponse } from './denials';
import { evaluate, type Decision, type LoadedPolicy, type RequestContext } from './policy';
import { functionPrincipals, operatorPrincipal, resourcePolicies, type FunctionPrincipal, type ResourcePolicy, type TemplateView } from './principals';

/** The secret every function signs with locally: identities are told apart by key id, not verified. */
export const LOCAL_SECRET_ACCESS_KEY = 'local';

/** `Credential=KEY/DATE/REGION/SERVICE/aws4_request` of a SigV4 `Authorization` header. */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\//.exec(authorization)?.[1];
}

export type Verdict = { readonly allowed: true; readonly principal: FunctionPrincipal } | { readonly allowed: false; readonly response: DenialResponse; readonly reason: string };

/** What the proxies ask of an enforcer. */
export type EnforcerView = Pick<IamEnforcer, 'check' | 'principalFor' | 'decide'>;

export class IamEnforcer {
  private readonly byAccessKey: ReadonlyMap<string, FunctionPrincipal>;

  constructor(
    principals: readonly FunctionPrincipal[],
    private readonly resourcePolicies: readonly ResourcePolicy[],
    readonly placement: ServicePlacement,
  ) {
    this.byAccessKey = new Map(principals.map((principal) => [principal.accessKeyId, principal]));
  }

  /** Reads every role, policy and resource policy of the template; throws on anything it cannot enforce. */
  static fromTemplate(template: TemplateView, placement: ServicePlacement): IamEnforcer {
    const functions = functionPrincipals(template, placement.account);
    return new IamEnforcer([...functions, operatorPrincipal(placement.account)], resourcePolicies(template), placement);
  }

  /** The credentials a function's environment gets, so that its calls carry its identity. */
  credentialsFor(functionLogicalId: string): { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } {
    const principal = [...this.byAccessKey.values()].find((candidate) => candidate.functionLogicalId !== '' && candidate.functionLogicalId === functionLogicalId);
    if (principal === undefined) throw new Error(`function ${functionLogicalId} is not a function of the template`);
    return { AWS_ACCESS_KEY_ID: principal.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY };
  }

  principalFor(accessKeyId: string): FunctionPrincipal | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  /** The function a template reference names: its name, or its ARN (`…:function:NAME`). */
  principalForFunction(functionRef: string): FunctionPrincipal | undefined {
    const name = functionRef.split(':function:').pop()!.split(':')[0];
    return [...this.byAccessKey.values()].find((principal) => principal.functionName !== '' && principal.functionName === name);
  }

  /** AWS's decision on one action and resource for a function. */
  decide(principal: FunctionPrincipal, action: string, resource: string): Decision {
    const context: RequestContext = {
      principalArn: principal.roleArn,
      sessionArn: principal.sessionArn,
      account: this.placement.account,
      region: this.placement.region,
      secureTransport: true,
    };
    const applicable: LoadedPolicy[] = [
      ...principal.policies,
      ...this.resourcePolicies.filter((policy) => policy.resourceArns.includes(resource)).map((policy) => policy.policy),
    ];
    return evaluate(applicable, action, resource, context);
  }

  /** Whether a raw HTTP request to a service may proceed; if not, the response AWS would give. */
  check(service: IamService, request: HttpRequestView): Verdict {
    const authorization = request.headers.authorization;
    const principal = this.principalFor(accessKeyIdOf(Array.isArray(authorization) ? authorization[0] : authorization) ?? '');
    if (principal === undefined) return { allowed: false, response: invalidAccessKey(service), reason: 'unknown or missing access key' };
    let needs;
    try {
      needs = classifyRequest(service, request, this.placement);
    } catch (error) {
      if (!(error instanceof UnclassifiableRequestError)) throw error;
      // Refused, never waved through: the message says what the enforcer could not read.
      return { allowed: false, response: accessDenied(service, error.message), reason: error.message };
    }
    for (const { action, resource } of needs) {
      const decision = this.decide(principal, action, resource);
      if (decision.allowed) continue;
      const message = accessDeniedMessage(
        service,
        principal.sessionArn,
        action,
        resource,
        decision.reason === 'implicit' ? { kind: 'implicit' } : { kind: 'explicit', policyKind: decision.policyKind },
      );
      return { allowed: false, response: accessDenied(service, message), reason: message };
    }
    return { allowed: true, principal };
  }
}
